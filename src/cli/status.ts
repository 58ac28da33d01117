import { LambdaClient } from '@aws-sdk/client-lambda'
import type { Command } from 'commander'
import { requireStream } from '../local/consume'
import type { StackOptions } from '../local/localStack'
import { type StageStatus, stageStatus } from '../local/status'
import { functionNameOf } from '../runtime/deployment'
import { readOptions } from './flags'
import { withReadStack } from './stack'

/** A count of rejected records, then one line per kind of reason. */
const printRejected = (title: string, byReason: StageStatus['rejectedByReason']): void => {
  console.log(`${title}: ${byReason.reduce((n, r) => n + r.records, 0)}`)
  for (const { reason, records } of byReason) console.log(`  ${records}\t${reason}`)
}

/** The stream's line: its shards, retention and oldest record. */
const streamLine = (stream: StageStatus['stream']): string => {
  const oldest =
    stream.oldestRecordHours === undefined ? 'none' : `${stream.oldestRecordHours.toFixed(1)} h old`
  return `stream ${stream.name}: ${stream.openShards} open of ${stream.shards.length} shards, retention ${stream.retentionHours} h, oldest record ${oldest}`
}

/** The archive's lines: where it is, then each shard's records and its last record's arrival. */
const printArchive = (archive: StageStatus['archive']): void => {
  if (archive === undefined) return
  const records = archive.shards.reduce((n, s) => n + s.records, 0)
  console.log(`archive ${archive.location}: ${records} records of ${archive.shards.length} shards`)
  for (const shard of archive.shards)
    console.log(
      `  ${shard.shardId}: ${shard.records} records, the last arrived ${shard.lastArrival ?? 'never'}${shard.parentShardId === undefined ? '' : ` (child of ${shard.parentShardId})`}`,
    )
}

/** Which version is shown, and which is live. */
const versionLine = ({ version }: StageStatus): string => {
  const live = version.live === version.shown ? 'live' : `not live (version ${version.live} is)`
  return `version ${version.shown} (tables of ${version.tablesStage}): ${live}`
}

/** Each view's freshness marks, shard by shard: where it has folded to, and that record's arrival. */
const printFreshness = ({ freshness }: StageStatus): void => {
  for (const { view, marks } of freshness) {
    console.log(`freshness of ${view}: ${marks.length} shards folded from`)
    for (const mark of marks)
      console.log(
        `  ${mark.shardId}: to ${mark.sequenceNumber}, which arrived ${new Date(mark.arrivedAtMs).toISOString()}`,
      )
  }
}

const printStatus = (status: StageStatus): void => {
  console.log(versionLine(status))
  console.log(streamLine(status.stream))
  for (const { name, items } of status.tables)
    console.log(`table ${name}: ${items ?? '?'} ${items === 1 ? 'item' : 'items'}`)
  printRejected('rejected records', status.rejectedByReason)
  for (const { view, byReason } of status.otherViewsRejected)
    printRejected(`rejected records of ${view}`, byReason)
  for (const mapping of status.mappings ?? [])
    console.log(
      `event source mapping of ${mapping.functionName}: ${mapping.state}, last processing result ${mapping.lastProcessingResult}`,
    )
  printFreshness(status)
  printArchive(status.archive)
  for (const warning of status.warnings) console.log(`warning: ${warning}`)
}

/** `winner-view status`: the stream, the tables, what was rejected, and the mapping on AWS. */
export const statusCommand = (cli: Command): Command =>
  readOptions(
    cli
      .command('status')
      .description('the stream (shards, retention), the tables, rejected records by reason'),
  )
    .option(
      '--stream <name>',
      'the stream the stage reads, by name or ARN (another account’s) (default: <stage>Stream)',
    )
    .option('--json', 'the status as JSON')
    .action(async (flags: StackOptions & { stream?: string; json?: boolean }) => {
      const streamName = flags.stream ?? `${flags.stage}Stream`
      await withReadStack(flags, async (stack) => {
        await requireStream(stack, streamName)
        const functionNames = [
          'winner',
          'categorySales',
          'winnerTotals',
          'categorySalesTotals',
          'archive',
        ].map((key) => functionNameOf(stack.tablesStage, key))
        const lambda =
          flags.aws === true ? { client: new LambdaClient({}), functionNames } : undefined
        const status = await stageStatus(stack, streamName, lambda)
        lambda?.client.destroy()
        if (flags.json === true) console.log(JSON.stringify(status, null, 2))
        else printStatus(status)
      })
    })
