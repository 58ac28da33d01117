import fc from 'fast-check'
import {
  CREATE_SCHEMA,
  EGRESS_SCHEMA,
  IMAGE_SCHEMA,
  INGRESS_SCHEMA,
  MAX_DETAIL_BYTES,
  type ProductEvent,
  PURCHASE_SCHEMA,
} from '../../src/domain/events'

// Built from the codecs' constraints: non-empty ids within DynamoDB's key limit,
// details (possibly empty, as the published schemas allow) within 4 KiB, ISO times,
// sequence numbers of up to 129 digits.

/** A sequence number of 1 to 129 digits, without leading zeros. */
export const sequenceNumberArb = fc
  .tuple(
    fc.integer({ min: 1, max: 9 }),
    fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 128 }),
  )
  .map(([head, tail]) => `${head}${tail}`)

export const keyTextArb = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' })
export const detailArb = fc.string({ maxLength: 60, unit: 'grapheme' })
/** An image as the producers write it: a host and path, with or without a scheme, or anything. */
export const imageArb = fc.oneof(
  fc.webUrl(),
  fc.webUrl().map((url) => url.replace(/^https?:\/\//, '')),
  detailArb,
)
export const isoTimeArb = fc
  .integer({ min: Date.UTC(2016, 0, 1), max: Date.UTC(2030, 0, 1) })
  .map((ms) => new Date(ms).toISOString())

/** A small pool of users and products, so that logs share creators and photographers. */
const userArb = fc.integer({ min: 0, max: 5 }).map((i) => `user-${i}`)
const productArb = fc.integer({ min: 0, max: 7 }).map((i) => `product-${i}`)

interface EventSpec {
  readonly type: ProductEvent['type']
  readonly productId: string
  readonly userId: string
  readonly time: string
}

const eventSpecArb: fc.Arbitrary<EventSpec> = fc.record({
  type: fc.constantFrom<ProductEvent['type']>(
    'ProductCreated',
    'ProductPhotographed',
    'ProductPurchased',
    'ProductPurchased',
  ),
  productId: productArb,
  userId: userArb,
  time: isoTimeArb,
})

export const SHARDS = ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']

/** The shard a product hashes to, as Kinesis routes by partition key. */
export const shardOf = (productId: string): string =>
  SHARDS[[...productId].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % SHARDS.length] ?? ''

const toEvent = (spec: EventSpec, sequence: bigint): ProductEvent => {
  const facts = {
    productId: spec.productId,
    userId: spec.userId,
    time: spec.time,
    position: { shardId: shardOf(spec.productId), sequenceNumber: sequence.toString() },
  }
  switch (spec.type) {
    case 'ProductCreated':
      return { type: spec.type, ...facts, brand: 'B', name: `N ${spec.productId}`, category: 'C' }
    case 'ProductPhotographed':
      return { type: spec.type, ...facts, image: `img.example.com/${spec.productId}` }
    case 'ProductPurchased':
      return { type: spec.type, ...facts }
  }
}

/**
 * A log of many products and users in stream order. Sequence numbers grow along the log
 * by random steps, start beyond 2^53, and so grow within every shard and product.
 */
export const logArb = (maxLength = 60): fc.Arbitrary<ProductEvent[]> =>
  fc
    .array(fc.tuple(eventSpecArb, fc.bigInt({ min: 1n, max: 10n ** 20n })), { maxLength })
    .map((specs) => {
      let sequence = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n
      return specs.map(([spec, step]) => {
        sequence += step
        return toEvent(spec, sequence)
      })
    })

/** An ingress envelope and its data for any of the three schemas, within the limits. */
export const envelopeArb = fc
  .oneof(
    fc.record({
      schema: fc.constant(CREATE_SCHEMA),
      id: keyTextArb,
      brand: detailArb,
      name: detailArb,
      description: fc.string({ maxLength: 200, unit: 'grapheme' }),
      category: detailArb,
    }),
    fc.record({
      schema: fc.constant(IMAGE_SCHEMA),
      id: keyTextArb,
      image: imageArb.filter((image) => image.length <= MAX_DETAIL_BYTES),
    }),
    fc.record({ schema: fc.constant(PURCHASE_SCHEMA), id: keyTextArb }),
  )
  .chain((data) =>
    fc.oneof(
      fc.record(
        {
          schema: fc.constant(INGRESS_SCHEMA),
          origin: keyTextArb,
          timeOrigin: isoTimeArb,
          data: fc.constant(data),
          eventId: keyTextArb,
          followsFrom: keyTextArb,
        },
        { requiredKeys: ['schema', 'origin', 'timeOrigin', 'data'] },
      ),
      fc.record(
        {
          schema: fc.constant(EGRESS_SCHEMA),
          origin: keyTextArb,
          timeOrigin: isoTimeArb,
          data: fc.constant(data),
          eventId: keyTextArb,
          timeIngest: isoTimeArb,
          timeProcess: isoTimeArb,
          followsFrom: keyTextArb,
        },
        {
          requiredKeys: [
            'schema',
            'origin',
            'timeOrigin',
            'data',
            'eventId',
            'timeIngest',
            'timeProcess',
          ],
        },
      ),
    ),
  )
