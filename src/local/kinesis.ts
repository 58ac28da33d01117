import {
  type _Record,
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  KinesisClient,
  type KinesisClientConfig,
  PutRecordsCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type Shard,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import kinesalite from 'kinesalite'
import { backoffDelay, defaultRetryPolicy, sleep } from '../runtime/backoff'
import type { LocalService } from './dynamodbLocal'

/**
 * A Kinesis client. Local emulators get a plain HTTP/1.1 handler: the SDK's default
 * HTTP/2 handler fails against them.
 */
export const makeKinesisClient = (config: KinesisClientConfig = {}): KinesisClient =>
  new KinesisClient({ ...config, requestHandler: new NodeHttpHandler() })

const waitUntilActive = async (client: KinesisClient, streamName: string): Promise<void> => {
  for (let attempt = 1; attempt <= 120; attempt += 1) {
    const { StreamDescriptionSummary: summary } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: streamName }),
    )
    if (summary?.StreamStatus === 'ACTIVE') return
    await sleep(Math.min(1000, 50 * attempt))
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`)
}

/** Creates a stream of `shardCount` shards (an existing one is kept) and waits until it is active. */
export const createStream = async (
  client: KinesisClient,
  streamName: string,
  shardCount: number,
) => {
  try {
    await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }))
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error
  }
  await waitUntilActive(client, streamName)
}

/** Deletes a stream and waits until it is gone; a stream that does not exist is fine. */
export const deleteStream = async (client: KinesisClient, streamName: string): Promise<void> => {
  try {
    await client.send(new DeleteStreamCommand({ StreamName: streamName }))
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return
    throw error
  }
  for (let attempt = 1; attempt <= 100; attempt += 1) {
    const gone = await client
      .send(new DescribeStreamSummaryCommand({ StreamName: streamName }))
      .then(() => false)
      .catch((error: unknown) => error instanceof ResourceNotFoundException)
    if (gone) return
    await sleep(100)
  }
  throw new Error(`stream ${streamName} was not deleted within 10 s`)
}

import { listShards, streamRef } from '../runtime/kinesisShards'

export { listShards, streamRef }

/**
 * A shard's first record from an iterator; `none` at the shard's tip; `unknown` when
 * `pages` empty pages in a row still trail the tip (Kinesis may answer empty pages before
 * records it holds).
 */
const firstRecordFrom = async (
  kinesis: KinesisClient,
  at: { readonly stream: string; readonly shardId: string; readonly pages: number },
  position: Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'StartingSequenceNumber'>,
): Promise<_Record | 'none' | 'unknown'> => {
  let iterator = (
    await kinesis.send(
      new GetShardIteratorCommand({ ...streamRef(at.stream), ShardId: at.shardId, ...position }),
    )
  ).ShardIterator
  for (let page = 0; page < at.pages && iterator !== undefined; page += 1) {
    const answer = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1 }))
    const first = answer.Records?.[0]
    if (first !== undefined) return first
    if (answer.MillisBehindLatest === 0) return 'none'
    iterator = answer.NextShardIterator
  }
  // A closed shard read to its end gives no next iterator: nothing follows.
  return iterator === undefined ? 'none' : 'unknown'
}

/**
 * The oldest record a shard still holds (TRIM_HORIZON), by the stream's name or ARN, or
 * none; a few empty pages are read past, as a read at the trim horizon may give them.
 */
export const oldestRecordOf = async (
  kinesis: KinesisClient,
  stream: string,
  shardId: string,
): Promise<_Record | undefined> => {
  const found = await firstRecordFrom(
    kinesis,
    { stream, shardId, pages: 5 },
    {
      ShardIteratorType: 'TRIM_HORIZON',
    },
  )
  return typeof found === 'string' ? undefined : found
}

/**
 * The record that follows `sequenceNumber` in a shard, or none at the shard's tip; an
 * error naming the shard when empty pages go on too long to tell.
 */
export const recordAfter = async (
  kinesis: KinesisClient,
  stream: string,
  shardId: string,
  sequenceNumber: string,
): Promise<_Record | undefined> => {
  const found = await firstRecordFrom(
    kinesis,
    { stream, shardId, pages: 20 },
    {
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      StartingSequenceNumber: sequenceNumber,
    },
  )
  if (found === 'unknown')
    throw new Error(
      `${stream} ${shardId}: 20 empty pages after ${sequenceNumber}, short of the shard's tip: cannot tell what follows; run the same command again`,
    )
  return found === 'none' ? undefined : found
}

/** One record to put: a partition key and its bytes. */
export interface OutgoingRecord {
  readonly partitionKey: string
  readonly data: Uint8Array
}

const MAX_PUT_RECORDS = 500

/** Puts one request's records: how many were accepted before the first failure, and its error. */
const putChunk = async (
  client: KinesisClient,
  streamName: string,
  chunk: ReadonlyArray<OutgoingRecord>,
): Promise<{ accepted: number; error?: string }> => {
  const answer = await client.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: chunk.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
    }),
  )
  const firstFailed = (answer.Records ?? []).findIndex((r) => r.ErrorCode !== undefined)
  if (firstFailed === -1) return { accepted: chunk.length }
  return { accepted: firstFailed, error: answer.Records?.[firstFailed]?.ErrorMessage ?? 'unknown' }
}

/**
 * Puts records in order, 500 a request. After a partial failure it puts again from the
 * first failed record on, so that each partition key keeps its order; the records after
 * it come twice, which the view folds once.
 */
export const putRecords = async (
  client: KinesisClient,
  streamName: string,
  records: ReadonlyArray<OutgoingRecord>,
  onPut: (count: number) => void = () => {},
): Promise<void> => {
  let at = 0
  let failures = 0
  while (at < records.length) {
    const { accepted, error } = await putChunk(
      client,
      streamName,
      records.slice(at, at + MAX_PUT_RECORDS),
    )
    onPut(accepted)
    at += accepted
    failures = accepted === 0 ? failures + 1 : 0
    if (failures > defaultRetryPolicy.maxAttempts)
      throw new Error(`PutRecords kept failing: ${error}`)
    if (error !== undefined) await sleep(backoffDelay(defaultRetryPolicy, failures + 1))
  }
}

/** Splits an open shard at the middle of its hash key range, as a reshard does. */
export const splitShardInHalf = async (client: KinesisClient, streamName: string, shard: Shard) => {
  const start = BigInt(shard.HashKeyRange?.StartingHashKey ?? '0')
  const end = BigInt(shard.HashKeyRange?.EndingHashKey ?? '0')
  await client.send(
    new SplitShardCommand({
      StreamName: streamName,
      ShardToSplit: shard.ShardId,
      NewStartingHashKey: ((start + end) / 2n + 1n).toString(),
    }),
  )
  await waitUntilActive(client, streamName)
}

/**
 * Starts kinesalite, an emulator of the Kinesis API, in this process: in memory, or with
 * `path` keeping its streams in that folder.
 */
export const startKinesalite = async (port = 0, path?: string): Promise<LocalService> => {
  const server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 200,
    ...(path === undefined ? {} : { path }),
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new Error(`port ${port} is taken: choose another`) : error,
      ),
    )
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const chosen = typeof address === 'object' && address !== null ? address.port : port
  return {
    endpoint: `http://127.0.0.1:${chosen}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
