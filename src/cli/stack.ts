import type { ConsumeResult } from '../local/consume'
import { consume } from '../local/consume'
import { createStream, type OutgoingRecord, putRecords } from '../local/kinesis'
import { openStack, type Stack, type StackOptions } from '../local/localStack'
import { seededRandom } from '../local/workload'
import type { RunFlags } from './flags'
import { progressBar } from './output'

/** Opens the stack for a command and always closes it, on errors and Ctrl-C too. */
export const withStack = async <A>(
  flags: StackOptions,
  work: (stack: Stack, signal: AbortSignal) => Promise<A>,
): Promise<A> => {
  const abort = new AbortController()
  const stack = await openStack(flags)
  const interrupt = () => {
    abort.abort()
    process.stderr.write(
      `\nwinner-view: interrupted${stack.startedEmulators ? ', stopping the emulators it started' : ''}\n`,
    )
    void stack.stop().finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupt)
  process.once('SIGTERM', interrupt)
  try {
    return await work(stack, abort.signal)
  } finally {
    process.off('SIGINT', interrupt)
    process.off('SIGTERM', interrupt)
    await stack.stop()
  }
}

/**
 * A reading command's stack: the endpoints given or the local stack that runs, never an
 * emulator started for it nor a table created; a stage with no view fails in one line.
 */
export const withReadStack = <A>(
  flags: StackOptions,
  work: (stack: Stack, signal: AbortSignal) => Promise<A>,
): Promise<A> => withStack({ ...flags, readOnly: true }, work)

/** Publishes records to a new stream and consumes it to the end, with progress bars. */
export const publishAndConsume = async (
  stack: Stack,
  records: OutgoingRecord[],
  flags: RunFlags,
  signal: AbortSignal,
  faultRate = 0,
): Promise<ConsumeResult> => {
  const streamName = `${flags.stage}Stream`
  await createStream(stack.kinesis, streamName, flags.shards)
  const publishing = progressBar('publishing', records.length)
  await putRecords(stack.kinesis, streamName, records, publishing.advance)
  publishing.stop()
  const consuming = progressBar('consuming ', records.length)
  const random = seededRandom(flags.seed + 1)
  const result = await consume(stack, {
    streamName,
    batchSize: flags.batchSize,
    parallelizationFactor: flags.parallelizationFactor,
    onProgress: consuming.advance,
    signal,
    ...(faultRate > 0 ? { faults: { rate: faultRate, random } } : {}),
  })
  consuming.stop()
  return result
}
