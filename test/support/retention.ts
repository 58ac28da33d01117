import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis'
import { LOCAL_AWS } from '../../src/local/dynamodbLocal'
import {
  listShards,
  makeKinesisClient,
  putRecords,
  splitShardInHalf,
} from '../../src/local/kinesis'
import { recordsOfLines } from '../../src/local/replayLog'

/**
 * A Kinesis client on which the stream no longer holds the records that arrived before
 * `cutoff` (ms), as after its retention (kinesalite keeps 24 hours at least): TRIM_HORIZON
 * is the oldest record still kept (AWS-LIMITS.md, "Kinesis reads"), so a read from it, or
 * from a position before the cutoff, gives the oldest kept record first.
 */
export const trimmedBefore = (endpoint: string, cutoff: number): KinesisClient => {
  const client = makeKinesisClient({ ...LOCAL_AWS, endpoint })
  const send = client.send.bind(client) as (command: unknown) => Promise<GetRecordsCommandOutput>
  const kept = (page: GetRecordsCommandOutput) =>
    (page.Records ?? []).filter((r) => (r.ApproximateArrivalTimestamp?.getTime() ?? 0) >= cutoff)
  client.send = (async (command: unknown) => {
    if (!(command instanceof GetRecordsCommand)) return send(command)
    let page = await send(command)
    // Pages wholly before the cutoff are gone: read past them, as the stream has nothing there.
    while (
      (page.Records ?? []).length > 0 &&
      kept(page).length === 0 &&
      page.NextShardIterator !== undefined
    ) {
      page = await send(
        new GetRecordsCommand({ ...command.input, ShardIterator: page.NextShardIterator }),
      )
    }
    return { ...page, Records: kept(page) }
  }) as KinesisClient['send']
  return client
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Publishes lines as records, resharding the first shard after `reshardAfter` of them. */
export const publishResharding = async (
  endpoint: string,
  streamName: string,
  lines: string[],
  reshardAfter: number,
) => {
  const client = makeKinesisClient({ ...LOCAL_AWS, endpoint })
  const records = recordsOfLines(lines.join('\n'))
  await putRecords(client, streamName, records.slice(0, reshardAfter))
  const [parent] = await listShards(client, streamName)
  if (parent !== undefined) await splitShardInHalf(client, streamName, parent)
  await putRecords(client, streamName, records.slice(reshardAfter))
}
