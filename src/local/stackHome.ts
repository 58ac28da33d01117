import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { canConnect, type LocalService, startDynamoDbLocal } from './dynamodbLocal'
import { startKinesalite } from './kinesis'

/**
 * The local stack that outlives commands: DynamoDB Local and kinesalite in one background
 * process, their data in folders under the project, their endpoints in `stack.json`,
 * where every command looks first.
 */

/** The folder the stack keeps its data, log and endpoints in: WINNER_VIEW_HOME, or `.winner-view` in the project. */
export const stackHome = (env: NodeJS.ProcessEnv = process.env): string =>
  env.WINNER_VIEW_HOME ?? join(__dirname, '..', '..', '.winner-view')

/** What `stack.json` holds: the background process and the endpoints it serves. */
export interface RunningStack {
  readonly pid: number
  readonly kinesis: string
  readonly dynamodb: string
  readonly startedAt: string
}

const stackFile = (home: string) => join(home, 'stack.json')

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const portOf = (endpoint: string): number => Number(new URL(endpoint).port)

/** What `stack.json` says, or undefined when it is missing, empty or not what `up` wrote. */
const readStackFile = async (home: string): Promise<RunningStack | undefined> => {
  const text = await readFile(stackFile(home), 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  try {
    const stack = JSON.parse(text) as Partial<RunningStack>
    const valid =
      typeof stack.pid === 'number' &&
      typeof stack.kinesis === 'string' &&
      typeof stack.dynamodb === 'string'
    return valid ? (stack as RunningStack) : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether `pid` is the stack's own process, not another that took its number since: on
 * Linux its command line says so; elsewhere its being alive has to do.
 */
const isStackDaemon = async (pid: number): Promise<boolean> => {
  if (!isAlive(pid)) return false
  const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined)
  return commandLine === undefined || commandLine.split('\0').includes('stack-daemon')
}

/** The stack `stack.json` names, if its process is the stack's and both endpoints listen. */
export const runningStack = async (home = stackHome()): Promise<RunningStack | undefined> => {
  const stack = await readStackFile(home)
  if (stack === undefined || !(await isStackDaemon(stack.pid))) return undefined
  const listening = await Promise.all(
    [stack.kinesis, stack.dynamodb].map((e) => canConnect(portOf(e))),
  )
  return listening.every(Boolean) ? stack : undefined
}

/** Ports for the stack's emulators; none given means free ones. */
export interface StackPorts {
  readonly kinesisPort?: number
  readonly dynamodbPort?: number
}

/**
 * Runs the stack in this process until SIGTERM or SIGINT: both emulators on their
 * folders, `stack.json` written once both listen and removed when they stop.
 */
export const serveStack = async (home: string, ports: StackPorts): Promise<void> => {
  await mkdir(join(home, 'dynamodb'), { recursive: true })
  await mkdir(join(home, 'kinesis'), { recursive: true })
  const services: LocalService[] = []
  const stopAll = () => Promise.all(services.map((s) => s.stop()))
  try {
    services.push(await startKinesalite(ports.kinesisPort, join(home, 'kinesis')))
    services.push(await startDynamoDbLocal(ports.dynamodbPort, join(home, 'dynamodb')))
  } catch (error) {
    await stopAll()
    throw error
  }
  const [kinesis, dynamodb] = services
  const stack = {
    pid: process.pid,
    kinesis: kinesis?.endpoint ?? '',
    dynamodb: dynamodb?.endpoint ?? '',
    startedAt: new Date().toISOString(),
  }
  // Written whole or not at all: a reader never sees half a file.
  await writeFile(`${stackFile(home)}.new`, `${JSON.stringify(stack, null, 2)}\n`)
  await rename(`${stackFile(home)}.new`, stackFile(home))
  // Until told to stop, or until DynamoDB Local dies: a stack half gone is no stack.
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
    void dynamodb?.exited?.then(resolve)
  })
  await rm(stackFile(home), { force: true })
  await stopAll()
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const logTail = async (log: string) =>
  (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n')

const portFlags = (ports: StackPorts): string[] => [
  ...(ports.kinesisPort === undefined ? [] : ['--kinesis-port', String(ports.kinesisPort)]),
  ...(ports.dynamodbPort === undefined ? [] : ['--dynamodb-port', String(ports.dynamodbPort)]),
]

/** Waits until the background process serves, or says why it did not. */
const servedBy = async (home: string, child: ChildProcess, log: string) => {
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    const stack = await runningStack(home)
    if (stack !== undefined) return stack
    if (child.exitCode !== null)
      throw new Error(`the local stack did not start: ${await logTail(log)}`)
    await sleep(200)
  }
  throw new Error(`the local stack did not start within 90 s; see ${log}`)
}

/**
 * Starts the stack in a background process that outlives this one (its output in
 * `stack.log`), and waits until it serves; a stack already running is returned as it is.
 */
export const startStack = async (home: string, ports: StackPorts): Promise<RunningStack> => {
  const running = await runningStack(home)
  if (running !== undefined) return running
  await mkdir(home, { recursive: true })
  const log = join(home, 'stack.log')
  const output = await open(log, 'w')
  const bin = join(__dirname, '..', '..', 'bin', 'winner-view.js')
  const child = spawn(process.execPath, [bin, 'stack-daemon', ...portFlags(ports)], {
    detached: true,
    stdio: ['ignore', output.fd, output.fd],
    env: { ...process.env, WINNER_VIEW_HOME: home },
  })
  child.unref()
  await output.close()
  return servedBy(home, child, log)
}

/**
 * Stops the stack's background process and its emulators, if it runs; its data stays.
 * Says whether one ran. A `stack.json` naming a process that is not the stack's (dead, or
 * its number taken by another) is removed, and nothing is killed.
 */
export const stopStack = async (home: string): Promise<boolean> => {
  const stack = await readStackFile(home)
  if (stack === undefined || !(await isStackDaemon(stack.pid))) {
    await rm(stackFile(home), { force: true })
    return false
  }
  // The daemon leads its own process group, DynamoDB Local's Java process included.
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-stack.pid, signal)
    } catch {
      process.kill(stack.pid, signal)
    }
  }
  signalGroup('SIGTERM')
  const deadline = Date.now() + 15_000
  while (isAlive(stack.pid) && Date.now() < deadline) await sleep(100)
  if (isAlive(stack.pid)) signalGroup('SIGKILL')
  await rm(stackFile(home), { force: true })
  return true
}
