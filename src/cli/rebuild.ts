import type { Command } from 'commander'
import { type LocalArchive, STACK_VIEWS, type Stack, type StackOptions } from '../local/localStack'
import { checkpointsOf, rebuild } from '../local/rebuild'
import { archivedRecordCount } from '../runtime/archiveReader'
import { streamArchiveId } from '../runtime/kinesisShards'
import { DEFAULT_BATCH_SIZE, stackOptions, wholeNumber } from './flags'
import { printLeaderboard, progressBar } from './output'
import { withStack } from './stack'

interface RebuildFlags extends StackOptions {
  readonly stream: string
  readonly batchSize: number
}

/**
 * The stack's archive, or an error saying where there is none (a stage on AWS); never the
 * live version (readers would see it half built), nor one that reads the stream already
 * (rebuilt and handed over, or consumed): every record it holds would pass as folded, and
 * a fixed view would change nothing. A rebuild stopped before its hand-over goes on.
 */
const rebuildable = async (
  stack: Stack,
  streamName: string,
): Promise<Stack & { readonly archive: LocalArchive }> => {
  const { archive } = stack
  if (archive === undefined) throw new Error('this stack keeps no archive to rebuild from')
  const which = `version ${stack.version} of stage ${stack.stage}`
  if ((await stack.liveStageOf(stack.stage)) === stack.tablesStage)
    throw new Error(`${which} is the live one: rebuild into another (--version), then switch to it`)
  if (await readsLive(stack, streamName))
    throw new Error(
      `${which} reads ${streamName} already (rebuilt and handed over, or consumed): keep it up with consume --version ${stack.version}, or rebuild into a new version (--version)`,
    )
  return { ...stack, archive }
}

/** Whether a view of the stack's version has a live consumer's checkpoint on the stream. */
const readsLive = async (stack: Stack, streamName: string): Promise<boolean> => {
  const loaded = await Promise.all(
    STACK_VIEWS.map((view) => checkpointsOf(stack, view, streamName).live.load()),
  )
  return loaded.some((checkpoints) => checkpoints.size > 0)
}

/** The rebuild with its progress bar, and what to do next. */
const rebuildWithProgress = async (opened: Stack, flags: RebuildFlags, signal: AbortSignal) => {
  const stack = await rebuildable(opened, flags.stream)
  const total = await archivedRecordCount(
    stack.archive,
    await streamArchiveId(stack.kinesis, flags.stream),
  )
  const bar = progressBar('rebuilding', total)
  const result = await rebuild(stack, {
    streamName: flags.stream,
    batchSize: flags.batchSize,
    onProgress: bar.advance,
    signal,
  })
  bar.stop()
  const replayed = result.archive['winner-view']?.records ?? 0
  process.stderr.write(
    `folded ${replayed} records from the archive (${stack.archive.root}) into version ${stack.version} of stage ${stack.stage} (tables of ${stack.tablesStage}), then the stream from there on ${result.handOver.length} shards\n`,
  )
  await printLeaderboard(stack, result.live)
  process.stderr.write(
    `compare, then make it live: winner-view switch --stage ${stack.stage} --to ${stack.version}\n`,
  )
}

/** `winner-view rebuild`: a stage's views folded from the stream's archive, then from the stream. */
export const rebuildCommand = (cli: Command): Command =>
  stackOptions(
    cli
      .command('rebuild')
      .description(
        "fold a stream's archive into a new version of a stage's views, then hand over to the stream (resumable: run it again after Ctrl-C); `switch` makes it live",
      ),
  )
    .requiredOption(
      '--stream <name>',
      'the stream whose archive to fold (its records since event 1)',
    )
    .option(
      '--batch-size <n>',
      'records per handler invocation, as the event source mapping batchSize',
      wholeNumber(1, 10_000),
      DEFAULT_BATCH_SIZE,
    )
    .action(async (flags: RebuildFlags) => {
      const version = flags.version ?? 'next'
      await withStack({ ...flags, version, existingStream: flags.stream }, (opened, signal) =>
        rebuildWithProgress(opened, flags, signal),
      )
    })
