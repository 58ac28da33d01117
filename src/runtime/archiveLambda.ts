import { KinesisClient } from '@aws-sdk/client-kinesis'
import { S3Client } from '@aws-sdk/client-s3'
import { makeArchiveHandler } from './archiveHandler'
import { archiveEmfLogger } from './emf'
import { listShards, shardFactsOf, streamCreatedAt } from './kinesisShards'
import { s3Archive } from './s3Archive'
import { stageFromEnv } from './tables'

/** The variable that names the archive's bucket. */
export const ARCHIVE_BUCKET_VARIABLE = 'ARCHIVE_BUCKET'

/** The archive's bucket, from the environment serverless.yml sets; fails at load, naming the variable. */
export const archiveBucketFromEnv = (env: NodeJS.ProcessEnv): string => {
  const bucket = env[ARCHIVE_BUCKET_VARIABLE]
  if (bucket === undefined || bucket === '') {
    throw new Error(`${ARCHIVE_BUCKET_VARIABLE} is not set: the archive has no bucket to write to`)
  }
  return bucket
}

/**
 * The archive as deployed: each batch of the stream one object in its S3 bucket, the
 * shards' parents from ListShards, one EMF line a batch (the metrics named `archive…`).
 */
export const archiveHandlerOf = (env: NodeJS.ProcessEnv = process.env) => {
  const kinesis = new KinesisClient({})
  return makeArchiveHandler({
    store: s3Archive(new S3Client({}), archiveBucketFromEnv(env)),
    shardsOf: async (streamArn) => (await listShards(kinesis, streamArn)).map(shardFactsOf),
    createdOf: (streamArn) => streamCreatedAt(kinesis, streamArn),
    log: archiveEmfLogger(stageFromEnv(env)),
  })
}
