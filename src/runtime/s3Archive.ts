import {
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3'
import type { ArchiveStore } from './archiveHandler'
import type { ArchiveSource } from './archiveReader'

const keysOf = (
  contents: ReadonlyArray<{ readonly Key?: string | undefined }> | undefined,
): string[] => (contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key]))

/** Rethrows an error with what was being read, so that a refusal (AccessDenied) names it. */
const naming =
  (what: string) =>
  (error: unknown): never => {
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  }

/**
 * The archive in an S3 bucket. Objects are written whole (a batch is one PutObject, so a
 * reader never sees half of one) and listed in key order, which is stream order.
 */
export const s3Archive = (client: S3Client, bucket: string): ArchiveStore & ArchiveSource => ({
  put: async (key, body) => {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: key.endsWith('.json') ? 'application/json' : 'application/gzip',
      }),
    )
  },
  get: async (key) => {
    const answer = await client
      .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      .catch(naming(`s3://${bucket}/${key}`))
    if (answer.Body === undefined) throw new Error(`s3://${bucket}/${key}: no body`)
    return answer.Body.transformToByteArray()
  },
  list: async function* (prefix) {
    const pages = paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })
    try {
      for await (const page of pages) yield* keysOf(page.Contents)
    } catch (error) {
      naming(`listing s3://${bucket}/${prefix}`)(error)
    }
  },
})
