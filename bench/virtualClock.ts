import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * A discrete-event clock for running many Lambda functions' real code on 2 cores as if
 * each had a machine of its own. Every wait (a round trip, a hold, a backoff, a poll)
 * is a `sleep` on this clock; between two wakes only the code of the task woken runs,
 * and the CPU time it takes (the process's, not wall time) is charged to that task
 * alone: its next wait starts that much later in virtual time. So sixteen shards' handlers each run at
 * their own measured speed, and DynamoDB's rules (holds, conflicts) meet them in the
 * order virtual time gives, whatever the machine's load.
 */
export interface VirtualClock {
  readonly now: () => number
  readonly sleep: (ms: number) => Promise<void>
  /** Runs the tasks, each under its own name, until every one has finished. */
  readonly run: (tasks: ReadonlyArray<VirtualTask>) => Promise<void>
}

export interface VirtualTask {
  readonly name: string
  readonly body: () => Promise<void>
}

interface Wake {
  readonly at: number
  readonly order: number
  readonly task: string | undefined
  readonly resolve: () => void
}

/**
 * Wakes, earliest first, in the order they were asked for at equal times. A few hundred
 * are pending at most (a handful of calls per task), so a sorted array is enough.
 */
const wakeQueue = () => {
  const queue: Wake[] = []
  const push = (wake: Wake) => {
    let low = 0
    let high = queue.length
    while (low < high) {
      const mid = (low + high) >> 1
      const other = queue[mid] as Wake
      if (other.at < wake.at || (other.at === wake.at && other.order < wake.order)) low = mid + 1
      else high = mid
    }
    queue.splice(low, 0, wake)
  }
  return { push, pop: (): Wake | undefined => queue.shift() }
}

/** Lets every continuation already runnable run: the woken task's code up to its next wait. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/** The process's CPU time in milliseconds (user and system): what a task's code costs, unlike wall time, which a busy machine stretches. */
const cpuMs = (): number => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** Per task: where in virtual time its code has got to, and the CPU time it resumed at. */
const cpuLedger = (now: () => number) => {
  const cursor = new Map<string, number>()
  const resumed = new Map<string, number>()
  return {
    resume: (task: string) => {
      cursor.set(task, Math.max(cursor.get(task) ?? 0, now()))
      resumed.set(task, cpuMs())
    },
    /** Charges the task the CPU time since it resumed; where it now stands. */
    charge: (task: string): number => {
      const spent = cpuMs()
      const at = (cursor.get(task) ?? now()) + (spent - (resumed.get(task) ?? spent))
      cursor.set(task, at)
      resumed.set(task, spent)
      return at
    },
  }
}

/** Starts each task under its own name; how many are left, and the first failure. */
const startTasks = (
  tasks: ReadonlyArray<VirtualTask>,
  running: AsyncLocalStorage<string>,
  resume: (task: string) => void,
) => {
  const state = { left: tasks.length, failure: undefined as unknown, failed: false }
  const finish = () => {
    state.left -= 1
  }
  for (const { name, body } of tasks)
    running.run(name, () => {
      resume(name)
      body().then(finish, (error: unknown) => {
        finish()
        state.failed = true
        state.failure = error
      })
    })
  return state
}

/** No wake is left: the end when no task is left, a task waiting on a real timer otherwise. */
const finished = (left: number): false => {
  if (left > 0) throw new Error(`${left} tasks wait on something the virtual clock cannot wake`)
  return false
}

export const virtualClock = (): VirtualClock => {
  let now = 0
  let order = 0
  const wakes = wakeQueue()
  const running = new AsyncLocalStorage<string>()
  const ledger = cpuLedger(() => now)
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const task = running.getStore()
      const from = task === undefined ? now : Math.max(now, ledger.charge(task))
      order += 1
      wakes.push({ at: from + Math.max(0, ms), order, task, resolve })
    })
  /** Wakes the earliest waiting task; false once every task has finished. */
  const wakeNext = (state: ReturnType<typeof startTasks>): boolean => {
    if (state.failed) throw state.failure
    const wake = wakes.pop()
    if (wake === undefined) return finished(state.left)
    now = Math.max(now, wake.at)
    if (wake.task !== undefined) ledger.resume(wake.task)
    wake.resolve()
    return true
  }
  const run = async (tasks: ReadonlyArray<VirtualTask>) => {
    const state = startTasks(tasks, running, ledger.resume)
    do await settle()
    while (wakeNext(state))
  }
  return { now: () => now, sleep, run }
}
