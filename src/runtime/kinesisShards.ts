import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis'
import { archiveIdOf, type ShardFacts } from './archive'

/**
 * How a call names a stream: by its ARN when given one (a stream in another account), by
 * its name otherwise. Kinesis takes either on the calls that read.
 */
export const streamRef = (stream: string): { StreamARN: string } | { StreamName: string } =>
  stream.startsWith('arn:') ? { StreamARN: stream } : { StreamName: stream }

/** Every shard of a stream, open and closed, page by page. */
export const listShards = async (client: KinesisClient, streamName: string): Promise<Shard[]> => {
  const shards: Shard[] = []
  let next: string | undefined
  do {
    const page = await client.send(
      new ListShardsCommand(next === undefined ? streamRef(streamName) : { NextToken: next }),
    )
    shards.push(...(page.Shards ?? []))
    next = page.NextToken
  } while (next !== undefined)
  return shards
}

/** A listed shard as the archive keeps it: its id and parents. */
export const shardFactsOf = (shard: Shard): ShardFacts => ({
  shardId: shard.ShardId ?? '',
  ...(shard.ParentShardId === undefined ? {} : { parentShardId: shard.ParentShardId }),
  ...(shard.AdjacentParentShardId === undefined
    ? {}
    : { adjacentParentShardId: shard.AdjacentParentShardId }),
})

/** A stream's summary, by its name or ARN. */
const summaryOf = async (client: KinesisClient, stream: string) =>
  (await client.send(new DescribeStreamSummaryCommand(streamRef(stream)))).StreamDescriptionSummary

/** When a stream was created, by its name or ARN: the archive names a stream's archive by it. */
export const streamCreatedAt = async (client: KinesisClient, stream: string): Promise<Date> => {
  const created = (await summaryOf(client, stream))?.StreamCreationTimestamp
  if (created === undefined) throw new Error(`stream ${stream}: Kinesis gave no creation time`)
  return created
}

/** How long a stream keeps a record, in hours, by its name or ARN. */
export const streamRetentionHours = async (
  client: KinesisClient,
  stream: string,
): Promise<number> => {
  const hours = (await summaryOf(client, stream))?.RetentionPeriodHours
  if (hours === undefined) throw new Error(`stream ${stream}: Kinesis gave no retention`)
  return hours
}

/** A stream's ARN, by its name or ARN: what its records and its event source mappings name. */
export const streamArnOf = async (client: KinesisClient, stream: string): Promise<string> => {
  const arn = (await summaryOf(client, stream))?.StreamARN
  if (arn === undefined) throw new Error(`stream ${stream}: Kinesis gave no ARN`)
  return arn
}

/** The name of a stream's archive as the stream is now: its name and creation time. */
export const streamArchiveId = async (client: KinesisClient, stream: string): Promise<string> =>
  archiveIdOf(stream, await streamCreatedAt(client, stream))
