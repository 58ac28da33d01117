import { makeArchiveHandler } from '../runtime/archiveHandler'
import { listShards, shardFactsOf, streamCreatedAt } from '../runtime/kinesisShards'
import { checkpointsTableFor, dynamoCheckpoints } from './checkpoints'
import type { LocalArchive, Stack } from './localStack'
import { drainStream, type PollerStats } from './poller'
import type { ReadBudget } from './readBudget'

/** Records per archive object, as the archive's mapping is deployed (serverless.yml). */
export const ARCHIVE_BATCH_SIZE = 10_000

/** The name the archive's consumer keeps its checkpoints under. */
export const archiveConsumerOf = (streamName: string): string => `archive:${streamName}`

/**
 * Archives a stream to its end into the stack's archive folder with the archive's Lambda
 * handler, under the local poller and checkpoints of its own, as its own event source
 * mapping does on AWS.
 */
export const archiveStream = async (
  stack: Stack & { readonly archive: LocalArchive },
  streamName: string,
  options: { readonly signal?: AbortSignal; readonly readBudget?: ReadBudget },
): Promise<PollerStats> =>
  drainStream({
    kinesis: stack.kinesis,
    streamName,
    handler: makeArchiveHandler({
      store: stack.archive,
      shardsOf: async () => (await listShards(stack.kinesis, streamName)).map(shardFactsOf),
      createdOf: () => streamCreatedAt(stack.kinesis, streamName),
      log: () => {},
    }),
    // The stage's checkpoints, not the version's: one archive of the stream for all versions.
    checkpoints: dynamoCheckpoints(
      stack.dynamo,
      checkpointsTableFor(stack.stage),
      archiveConsumerOf(streamName),
    ),
    batchSize: ARCHIVE_BATCH_SIZE,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    // Another standard reader of the stream: it shares the shard's 5 calls a second.
    ...(options.readBudget === undefined ? {} : { readBudget: options.readBudget }),
  })
