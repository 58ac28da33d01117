import { archiveHandlerOf } from '../runtime/archiveLambda'

/** The archive's Lambda entry: a Kinesis batch in, one gzipped object of its shard in S3, one EMF line. */
export const handler = archiveHandlerOf()
