import { forEachAtMost } from '../src/runtime/concurrency'

describe('tasks at most N at once', () => {
  it('never has more than the limit in flight, and runs every task', async () => {
    let inFlight = 0
    let most = 0
    const done: number[] = []
    await forEachAtMost(3, [1, 2, 3, 4, 5, 6, 7], async (n) => {
      inFlight += 1
      most = Math.max(most, inFlight)
      await new Promise((resolve) => setTimeout(resolve, 2))
      inFlight -= 1
      done.push(n)
    })
    expect(most).toBe(3)
    expect([...done].sort()).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  it('rejects with the first failure and frees the slot of a task that throws at once', async () => {
    const ran: string[] = []
    const tasks = ['throws', 'second', 'third']
    const run = forEachAtMost(1, tasks, (name) => {
      if (name === 'throws') throw new Error('at once')
      ran.push(name)
      return Promise.resolve()
    })
    await expect(run).rejects.toThrow('at once')
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(ran).toEqual(['second', 'third'])
  })
})
