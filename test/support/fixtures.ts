import type { KinesisStreamRecord } from 'aws-lambda'

// The wire names, written out: a test that took them from src would follow a rename.
const INGRESS_SCHEMA = 'com.nordstrom/retail-stream-ingress/1-0-0'
const EGRESS_SCHEMA = 'com.nordstrom/retail-stream-egress/1-0-0'
const CREATE_SCHEMA = 'com.nordstrom/product/create/1-0-0'
const IMAGE_SCHEMA = 'com.nordstrom/product/image/1-0-0'
const PURCHASE_SCHEMA = 'com.nordstrom/product/purchase/1-0-0'

/** Users shaped like the retail stream's origins. */
export const creatorOrigin = (name: string): string =>
  `hello-retail/web-client-create-product/${name}-profile/${name}`
export const photographerOrigin = (name: string): string =>
  `product-photos/Photographer/+1555000${name.length}/${name}`

export const createData = (id: string, overrides: Record<string, unknown> = {}) => ({
  schema: CREATE_SCHEMA,
  id,
  brand: 'Nordstrom',
  name: `Product ${id}`,
  description: 'A fine thing',
  category: 'Shoes',
  ...overrides,
})
export const imageData = (id: string) => ({
  schema: IMAGE_SCHEMA,
  id,
  image: `erik.hello-retail.biz/i/p/${id}`,
})
export const purchaseData = (id: string) => ({ schema: PURCHASE_SCHEMA, id })

/** An ingress envelope as the retail stream's producers write it. */
export const ingress = (
  origin: string,
  data: unknown,
  timeOrigin = '2026-11-26T10:00:00.000Z',
): Record<string, unknown> => ({ schema: INGRESS_SCHEMA, origin, timeOrigin, data })

/** An egress envelope, as the upstream fan-out re-publishes an ingress one. */
export const egress = (
  origin: string,
  data: unknown,
  timeOrigin = '2026-11-26T10:00:00.000Z',
): Record<string, unknown> => ({
  schema: EGRESS_SCHEMA,
  origin,
  timeOrigin,
  data,
  eventId: 'shardId-000000000000:4959',
  timeIngest: '2026-11-26T10:00:01.000Z',
  timeProcess: '2026-11-26T10:00:02.000Z',
})

/** A 56-digit sequence number, as Kinesis writes them, for position `n` of a shard. */
export const sequenceNumber = (n: number | bigint): string =>
  (
    49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n + BigInt(n)
  ).toString()

/** A record exactly as Lambda hands it over; `data` is raw bytes or an envelope. */
export const kinesisRecord = (
  payload: Record<string, unknown> | Uint8Array | string,
  position: { shardId: string; sequenceNumber: string; partitionKey?: string },
): KinesisStreamRecord => {
  const bytes =
    payload instanceof Uint8Array
      ? Buffer.from(payload)
      : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload), 'utf8')
  const data = (payload as { data?: { id?: unknown } }).data
  const partitionKey = position.partitionKey ?? (typeof data?.id === 'string' ? data.id : 'unknown')
  return {
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${position.shardId}:${position.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/winner-view',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/devStream',
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey,
      sequenceNumber: position.sequenceNumber,
      data: bytes.toString('base64'),
      approximateArrivalTimestamp: 1_795_000_000,
    },
  }
}
