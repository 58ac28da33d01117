import { type Command, InvalidArgumentError } from 'commander'
import type { StackOptions } from '../local/localStack'
import { MAX_VERSION } from '../runtime/versions'

/** A parser of whole numbers within bounds, for commander. */
export const wholeNumber =
  (min: number, max: number) =>
  (text: string): number => {
    const value = Number(text)
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`)
    }
    return value
  }

/** A parser of a probability in [0, 1), for commander. */
export const probability = (text: string): number => {
  const value = Number(text)
  if (text.trim() === '' || Number.isNaN(value) || value < 0 || value >= 1) {
    throw new InvalidArgumentError('expected a probability from 0 up to, not including, 1')
  }
  return value
}

/** The flags of a command that generates or replays a workload on a new stream. */
export interface RunFlags extends StackOptions {
  readonly shards: number
  readonly batchSize: number
  readonly seed: number
  readonly parallelizationFactor: number
}

/** Lambda's ParallelizationFactor for the local poller: batches of a shard in flight at once. */
export const parallelizationOption = (command: Command): Command =>
  command.option(
    '--parallelization-factor <n>',
    'batches of one shard in flight at once, split by partition key (as the event source mapping)',
    wholeNumber(1, 10),
    1,
  )

/** Where the stack is: endpoints (else the local stack that runs) and the stage. */
export const endpointOptions = (command: Command): Command =>
  command
    .option(
      '--kinesis-endpoint <url>',
      'use this Kinesis endpoint, not the local stack (also AWS_ENDPOINT_URL_KINESIS)',
    )
    .option(
      '--dynamodb-endpoint <url>',
      'use this DynamoDB endpoint, not the local stack (also AWS_ENDPOINT_URL_DYNAMODB)',
    )
    .option(
      '--stage <name>',
      'the stage that names the tables: winner-view-<stage>-Contributions and so on',
      'local',
    )
    .option(
      '--version <n>',
      "the version of the stage's views: 1 is the stage's own tables, n those of <stage>-v<n> (default: the live one, which `switch` moves; for rebuild, the one after it)",
      wholeNumber(1, MAX_VERSION),
    )

/** A writing command's stack: endpoints, stage, and ports for emulators it may start of its own. */
export const stackOptions = (command: Command): Command =>
  endpointOptions(command)
    .option(
      '--kinesis-port <n>',
      'port for a kinesalite started for this command (default: a free one)',
      wholeNumber(1, 65_535),
    )
    .option(
      '--dynamodb-port <n>',
      'port for a DynamoDB Local started for this command (default: a free one)',
      wholeNumber(1, 65_535),
    )

/** Records per invocation, as the deployed event source mapping's default (serverless.yml). */
export const DEFAULT_BATCH_SIZE = 500

/** The stack's flags plus the stream's shape: shards, batch size, parallelization, seed. */
export const runOptions = (command: Command): Command =>
  parallelizationOption(stackOptions(command))
    .option('--shards <n>', 'shards of the stream', wholeNumber(1, 64), 4)
    .option(
      '--batch-size <n>',
      'records per handler invocation, as the event source mapping batchSize',
      wholeNumber(1, 10_000),
      DEFAULT_BATCH_SIZE,
    )
    .option(
      '--seed <n>',
      'seed of the generator and of injected faults',
      wholeNumber(0, 2 ** 32 - 1),
      42,
    )

/** The stack's flags for a command that only reads, plus `--aws` to read a deployed stage. */
export const readOptions = (command: Command): Command =>
  endpointOptions(command).option(
    '--aws',
    'read a deployed stage on AWS, with the usual region and credentials (profile, SSO, role)',
  )
