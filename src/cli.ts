import { readFile, writeFile } from 'node:fs/promises'
import { SingleBar } from 'cli-progress'
import { Command, InvalidArgumentError, Option } from 'commander'
import { createStream, type OutgoingRecord, putRecords } from './adapters/kinesis'
import { openStack, type Stack } from './adapters/localStack'
import { leaderboard, readView } from './adapters/viewReader'
import { type ConsumeResult, consume, recordsOfLines, requireStream, toOutgoing } from './localView'
import { generateWorkload, seededRandom } from './workload'

const wholeNumber =
  (min: number, max: number) =>
  (text: string): number => {
    const value = Number(text)
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`)
    }
    return value
  }

const probability = (text: string): number => {
  const value = Number(text)
  if (text.trim() === '' || Number.isNaN(value) || value < 0 || value >= 1) {
    throw new InvalidArgumentError('expected a probability from 0 up to, not including, 1')
  }
  return value
}

interface StackFlags {
  readonly kinesisEndpoint?: string
  readonly dynamodbEndpoint?: string
  readonly kinesisPort?: number
  readonly dynamodbPort?: number
  readonly stage: string
}

interface RunFlags extends StackFlags {
  readonly shards: number
  readonly batchSize: number
  readonly seed: number
}

const stackOptions = (command: Command): Command =>
  command
    .option(
      '--kinesis-endpoint <url>',
      'use this Kinesis endpoint instead of starting kinesalite (also AWS_ENDPOINT_URL_KINESIS)',
    )
    .option(
      '--dynamodb-endpoint <url>',
      'use this DynamoDB endpoint instead of starting DynamoDB Local (also AWS_ENDPOINT_URL_DYNAMODB)',
    )
    .option(
      '--kinesis-port <n>',
      'port for the started kinesalite (default: a free one)',
      wholeNumber(1, 65_535),
    )
    .option(
      '--dynamodb-port <n>',
      'port for the started DynamoDB Local (default: a free one)',
      wholeNumber(1, 65_535),
    )
    .option(
      '--stage <name>',
      'the stage that names the tables: <stage>-Contributions and so on',
      'local',
    )

const runOptions = (command: Command): Command =>
  stackOptions(command)
    .option('--shards <n>', 'shards of the stream', wholeNumber(1, 64), 4)
    .option(
      '--batch-size <n>',
      'records per handler invocation, as the event source mapping batchSize',
      wholeNumber(1, 10_000),
      100,
    )
    .option(
      '--seed <n>',
      'seed of the generator and of injected faults',
      wholeNumber(0, 2 ** 32 - 1),
      42,
    )

/** Opens the stack for a command and always closes it, on errors and Ctrl-C too. */
const withStack = async <A>(
  flags: StackFlags,
  work: (stack: Stack, signal: AbortSignal) => Promise<A>,
): Promise<A> => {
  const abort = new AbortController()
  const stack = await openStack({
    stage: flags.stage,
    ...(flags.kinesisPort ? { kinesisPort: flags.kinesisPort } : {}),
    ...(flags.dynamodbPort ? { dynamodbPort: flags.dynamodbPort } : {}),
    ...(flags.kinesisEndpoint ? { kinesisEndpoint: flags.kinesisEndpoint } : {}),
    ...(flags.dynamodbEndpoint ? { dynamodbEndpoint: flags.dynamodbEndpoint } : {}),
  })
  const interrupt = () => {
    abort.abort()
    process.stderr.write('\nwinner-view: interrupted, stopping the emulators\n')
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

const progressBar = (label: string, total: number) => {
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} records | {rate} events/s`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: false,
  })
  const started = performance.now()
  let done = 0
  bar.start(total, 0, { rate: 0 })
  return {
    advance: (count: number) => {
      done += count
      const seconds = (performance.now() - started) / 1000
      bar.update(Math.min(done, total), { rate: Math.round(done / Math.max(seconds, 0.001)) })
    },
    stop: () => bar.stop(),
  }
}

/** Publishes records to a new stream and consumes it to the end, with progress bars. */
const publishAndConsume = async (
  stack: Stack,
  records: OutgoingRecord[],
  flags: RunFlags,
  signal: AbortSignal,
  faultRate = 0,
) => {
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
    onProgress: consuming.advance,
    signal,
    ...(faultRate > 0 ? { faults: { rate: faultRate, random } } : {}),
  })
  consuming.stop()
  return result
}

const statsOf = (result: ConsumeResult) => ({
  records: result.poller.recordsAdvanced,
  folded: result.totals.folded,
  skipped: result.totals.skipped,
  rejected: result.totals.rejected,
  batches: result.poller.batches,
  redeliveries: result.poller.redeliveries,
  faults: result.poller.faults,
  transactions: result.totals.transactions,
  dynamodbRequests: result.dynamodbRequests,
  seconds: Number(result.seconds.toFixed(2)),
})

const shortName = (userId: string): string =>
  userId.length > 60 ? `...${userId.slice(-57)}` : userId

const printLeaderboard = async (stack: Stack, result: ConsumeResult) => {
  for (const role of ['creator', 'photographer'] as const) {
    console.log(`\nTop ${role}s (sales earned, products)`)
    const top = await leaderboard(stack.dynamo, stack.names, role, 5)
    for (const [rank, entry] of top.entries()) {
      console.log(
        `  ${rank + 1}. ${String(entry.score).padStart(6)}  ${String(entry.products).padStart(4)}  ${shortName(entry.userId)}`,
      )
    }
  }
  const stats = statsOf(result)
  console.log(
    `\n${stats.records} records: ${stats.folded} folded, ${stats.skipped} skipped, ${stats.rejected} rejected; ` +
      `${stats.batches} batches, ${stats.dynamodbRequests} DynamoDB requests, ` +
      `${Math.round(stats.records / Math.max(result.seconds, 0.001))} events/s`,
  )
}

/** Writes lines to standard output in chunks, waiting when the pipe is full; a closed pipe ends quietly. */
const writeLines = async (lines: ReadonlyArray<string>): Promise<void> => {
  let closed = false
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    closed = true
  })
  for (let at = 0; at < lines.length && !closed; at += 1000) {
    const chunk = `${lines.slice(at, at + 1000).join('\n')}\n`
    if (!process.stdout.write(chunk))
      await new Promise((resolve) => process.stdout.once('drain', resolve))
  }
}

/** The CLI's commands, flags and help text. */
export const program = (): Command => {
  const cli = new Command('winner-view')
    .description('The winner view of a retail Kinesis stream, run locally on real-API emulators.')
    .showHelpAfterError('(run with --help for usage)')

  runOptions(
    cli.command('demo').description('generate a workload, consume it, print the leaderboard'),
  )
    .option('--events <n>', 'events to generate', wholeNumber(1, 1_000_000), 5000)
    .action(async (flags: RunFlags & { events: number }) => {
      const records = toOutgoing(
        generateWorkload({ events: flags.events, seed: flags.seed, edgeCases: true }),
      )
      await withStack(flags, async (stack, signal) =>
        printLeaderboard(stack, await publishAndConsume(stack, records, flags, signal)),
      )
    })

  runOptions(
    cli
      .command('replay')
      .description(
        'put each line of a JSON-lines file as a record, consume, write the tables as JSON',
      ),
  )
    .argument('<file>', 'a JSON-lines event log')
    .requiredOption('--out <file>', 'where to write {contributions, scores, rejected, stats}')
    .option(
      '--fault-rate <p>',
      'chance per batch of a crash before the checkpoint or a partial failure',
      probability,
      0,
    )
    .action(async (file: string, flags: RunFlags & { out: string; faultRate: number }) => {
      const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new Error(
          error.code === 'ENOENT' ? `${file}: no such file` : `${file}: ${error.message}`,
        )
      })
      const records = recordsOfLines(text)
      await withStack(flags, async (stack, signal) => {
        const result = await publishAndConsume(stack, records, flags, signal, flags.faultRate)
        const view = await readView(stack.dynamo, stack.names)
        await writeFile(
          flags.out,
          `${JSON.stringify({ ...view, stats: statsOf(result) }, null, 2)}\n`,
        )
        process.stderr.write(
          `wrote ${flags.out}: ${view.contributions.length} products, ${view.scores.length} scores, ${view.rejected.length} rejected\n`,
        )
      })
    })

  stackOptions(
    cli
      .command('consume')
      .description('consume an existing stream to its end and print the leaderboard'),
  )
    .requiredOption(
      '--stream <name>',
      'the stream to read from TRIM_HORIZON (or the saved checkpoints)',
    )
    .option('--batch-size <n>', 'records per handler invocation', wholeNumber(1, 10_000), 100)
    .action(async (flags: StackFlags & { stream: string; batchSize: number }) => {
      await withStack(flags, async (stack, signal) => {
        await requireStream(stack, flags.stream)
        await printLeaderboard(
          stack,
          await consume(stack, { streamName: flags.stream, batchSize: flags.batchSize, signal }),
        )
      })
    })

  cli
    .command('generate')
    .description('write a generated workload as JSON lines to standard output')
    .requiredOption('--events <n>', 'events to generate', wholeNumber(1, 2_000_000))
    .option('--seed <n>', 'seed of the generator', wholeNumber(0, 2 ** 32 - 1), 42)
    .addOption(
      new Option(
        '--edge-cases',
        'mix in duplicates, photos before creates, unknown products, other views, bad records',
      ),
    )
    .action(async (flags: { events: number; seed: number; edgeCases?: boolean }) => {
      const lines = generateWorkload({
        events: flags.events,
        seed: flags.seed,
        edgeCases: flags.edgeCases ?? false,
      })
      await writeLines(lines.map((r) => r.data))
    })
  return cli
}

/** Runs the CLI; every error a user can cause ends in one line and a non-zero exit. */
export const main = async (argv: string[]): Promise<void> => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  try {
    await program().parseAsync(argv)
  } catch (error) {
    process.stderr.write(`winner-view: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  }
}
