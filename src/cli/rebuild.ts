import { LambdaClient } from '@aws-sdk/client-lambda'
import { S3Client } from '@aws-sdk/client-s3'
import type { Command } from 'commander'
import { rebuildDeployed } from '../local/awsRebuild'
import { type LocalArchive, STACK_VIEWS, type Stack, type StackOptions } from '../local/localStack'
import { lambdaMappings } from '../local/mappings'
import { checkpointsOf, rebuild } from '../local/rebuild'
import { archivedRecordCount } from '../runtime/archiveReader'
import { streamArchiveId, streamArnOf } from '../runtime/kinesisShards'
import { s3Archive } from '../runtime/s3Archive'
import { DEFAULT_BATCH_SIZE, stackOptions, wholeNumber } from './flags'
import { printLeaderboard, progressBar } from './output'
import { withStack } from './stack'

interface RebuildFlags extends StackOptions {
  readonly stream: string
  readonly batchSize: number
  readonly bucket?: string
}

/** Refuses the live version: readers would see it half built. */
const refuseLive = async (stack: Stack) => {
  if ((await stack.liveStageOf(stack.stage)) === stack.tablesStage)
    throw new Error(
      `version ${stack.version} of stage ${stack.stage} is the live one: rebuild into another (--version), then switch to it`,
    )
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
  await refuseLive(stack)
  if (await readsLive(stack, streamName))
    throw new Error(
      `version ${stack.version} of stage ${stack.stage} reads ${streamName} already (rebuilt and handed over, or consumed): keep it up with consume --version ${stack.version}, or rebuild into a new version (--version)`,
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

/**
 * The rebuild of a deployed version with its progress bar, and what to do next: the
 * archive read from the stage's bucket, the version's mappings enabled at the end.
 */
const rebuildOnAws = async (
  stack: Stack,
  flags: RebuildFlags,
  bucket: string,
  signal: AbortSignal,
) => {
  await refuseLive(stack)
  await stack.requireStageView(stack.tablesStage)
  const s3 = new S3Client({})
  const lambda = new LambdaClient({})
  try {
    const source = s3Archive(s3, bucket)
    const archiveId = await streamArchiveId(stack.kinesis, flags.stream)
    const bar = progressBar('rebuilding', await archivedRecordCount(source, archiveId))
    const mappings = lambdaMappings(lambda, await streamArnOf(stack.kinesis, flags.stream))
    const result = await rebuildDeployed(stack, {
      streamName: flags.stream,
      batchSize: flags.batchSize,
      source,
      mappings,
      onProgress: bar.advance,
      signal,
      onEnabling: (uuids) => {
        bar.stop()
        process.stderr.write(
          `the stream holds what follows the archive on every shard: enabling the mappings ${uuids.join(', ')} (should this stop, enable what is left: aws lambda update-event-source-mapping --uuid UUID --enabled)\n`,
        )
      },
    }).finally(() => bar.stop())
    const replayed = result.archive['winner-view']?.records ?? 0
    process.stderr.write(
      `${[
        `folded ${replayed} records in ${result.passes} ${result.passes === 1 ? 'pass' : 'passes'} from s3://${bucket} into version ${stack.version} of stage ${stack.stage} (tables of ${stack.tablesStage}); enabled the mappings of ${result.enabled.join(', ')}: they read ${flags.stream} from its oldest record, and what the archive folded changes nothing`,
        `watch it catch up: winner-view status --aws --stage ${stack.stage} --version ${stack.version} --stream ${flags.stream}`,
        `compare, then make it live: winner-view switch --aws --stage ${stack.stage} --to ${stack.version}`,
        `deploy ${stack.tablesStage} again without disabledMapping: its template then says what runs, and its stalled pages come back`,
      ].join('\n')}\n`,
    )
  } finally {
    s3.destroy()
    lambda.destroy()
  }
}

/** The bucket of `rebuild --aws`, or an error saying where to find it; none locally. */
const bucketOf = (flags: RebuildFlags): string | undefined => {
  if (flags.aws !== true) {
    if (flags.bucket !== undefined)
      throw new Error("--bucket is for --aws: locally the archive is the stack's own folder")
    return undefined
  }
  if (flags.bucket === undefined)
    throw new Error(
      `rebuild --aws needs --bucket: the stage's archive bucket, its ArchiveBucketName output (aws cloudformation describe-stacks --stack-name winner-view-${flags.stage} --query "Stacks[0].Outputs[?OutputKey=='ArchiveBucketName'].OutputValue" --output text)`,
    )
  return flags.bucket
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
    .option(
      '--aws',
      'rebuild a version deployed on AWS with its mappings disabled (disabledMapping), with the usual region and credentials, then enable them',
    )
    .option(
      '--bucket <name>',
      "with --aws: the stage's archive bucket (its ArchiveBucketName output)",
    )
    .action(async (flags: RebuildFlags) => {
      const version = flags.version ?? 'next'
      const bucket = bucketOf(flags)
      await withStack({ ...flags, version, existingStream: flags.stream }, (opened, signal) =>
        bucket === undefined
          ? rebuildWithProgress(opened, flags, signal)
          : rebuildOnAws(opened, flags, bucket, signal),
      )
    })
