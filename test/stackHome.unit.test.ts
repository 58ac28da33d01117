import { spawn } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runningStack, stopStack } from '../src/local/stackHome'

// What `up` left behind can be stale: a file half written, or a process number that
// another process took since. Neither may break a command, and `down` kills nothing of
// another's.

const homeWith = async (stackJson: string) => {
  const home = await mkdtemp(join(tmpdir(), 'winner-view-home-test-'))
  await writeFile(join(home, 'stack.json'), stackJson)
  return home
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('the local stack’s file', () => {
  it('is no stack when it is empty or not what up writes, and down clears it', async () => {
    for (const text of ['', '{"pid":', '{"pid":"x"}']) {
      const home = await homeWith(text)
      expect(await runningStack(home)).toBeUndefined()
      expect(await stopStack(home)).toBe(false)
      await expect(readFile(join(home, 'stack.json'))).rejects.toThrow()
    }
  })

  it('is no stack when its process is another program’s, and down leaves that program alone', async () => {
    const other = spawn('sleep', ['30'])
    const pid = other.pid ?? -1
    const home = await homeWith(
      JSON.stringify({
        pid,
        kinesis: 'http://127.0.0.1:1',
        dynamodb: 'http://127.0.0.1:1',
        startedAt: '2026-12-06T00:00:00.000Z',
      }),
    )
    expect(await runningStack(home)).toBeUndefined()
    expect(await stopStack(home)).toBe(false)
    expect(isAlive(pid)).toBe(true)
    other.kill()
  })
})
