import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as t from 'io-ts'
import { closed, describeValue, IsoTime, MAX_KEY_BYTES, reasonOf, storedText } from './codecs'
import { ingressPositionOf, type Position } from './position'

// Wire names are a storage format: never rename one, version it.
export const INGRESS_SCHEMA = 'com.nordstrom/retail-stream-ingress/1-0-0'
export const EGRESS_SCHEMA = 'com.nordstrom/retail-stream-egress/1-0-0'
export const CREATE_SCHEMA = 'com.nordstrom/product/create/1-0-0'
export const IMAGE_SCHEMA = 'com.nordstrom/product/image/1-0-0'
export const PURCHASE_SCHEMA = 'com.nordstrom/product/purchase/1-0-0'

/** A product id is the record's Kinesis partition key, which holds at most 256 characters. */
export const MAX_PRODUCT_ID_LENGTH = 256
/** Stored details (brand, name, category, image) are kept under 4 KiB each. */
export const MAX_DETAIL_BYTES = 4096

// The published schemas type every field as a plain string. The view is stricter only
// where it must be: ids and origins are keys (non-empty, within DynamoDB's key limit),
// and what it stores must be well-formed Unicode of a bounded size.
const ProductId = storedText({
  nonEmpty: true,
  maxBytes: MAX_KEY_BYTES,
  maxLength: MAX_PRODUCT_ID_LENGTH,
})
const UserId = storedText({ nonEmpty: true, maxBytes: MAX_KEY_BYTES })
/** brand, name, category, image: possibly empty, as the published schemas allow. */
const Detail = storedText({ nonEmpty: false, maxBytes: MAX_DETAIL_BYTES })

/** What both envelope forms carry: the acting user, when, and the event's data. */
const envelopeFacts = { origin: UserId, timeOrigin: IsoTime, data: t.unknown }

export const IngressEnvelope = closed(
  'ingress envelope',
  { schema: t.literal(INGRESS_SCHEMA), ...envelopeFacts },
  { eventId: t.string, followsFrom: t.string },
)
export type IngressEnvelope = t.TypeOf<typeof IngressEnvelope>

export const EgressEnvelope = closed(
  'egress envelope',
  {
    schema: t.literal(EGRESS_SCHEMA),
    ...envelopeFacts,
    eventId: t.string,
    timeIngest: IsoTime,
    timeProcess: IsoTime,
  },
  { followsFrom: t.string },
)
export type EgressEnvelope = t.TypeOf<typeof EgressEnvelope>

export const CreateProductData = closed(
  'product create data',
  {
    schema: t.literal(CREATE_SCHEMA),
    id: ProductId,
    brand: Detail,
    name: Detail,
    // Not stored, so any string the schema allows.
    description: t.string,
    category: Detail,
  },
  { price: t.string },
)
export type CreateProductData = t.TypeOf<typeof CreateProductData>

export const ImageProductData = closed(
  'product image data',
  { schema: t.literal(IMAGE_SCHEMA), id: ProductId, image: Detail },
  {},
)
export type ImageProductData = t.TypeOf<typeof ImageProductData>

export const PurchaseProductData = closed(
  'product purchase data',
  { schema: t.literal(PURCHASE_SCHEMA), id: ProductId },
  {},
)
export type PurchaseProductData = t.TypeOf<typeof PurchaseProductData>

/** What every product event carries: whose act, when, and where it sits in the stream. */
interface EventFacts {
  readonly productId: string
  readonly userId: string
  readonly time: string
  readonly position: Position
  /** For an egress envelope: the ingress record it was fanned out from (see duplicates). */
  readonly ingress?: Position
}

export interface ProductCreated extends EventFacts {
  readonly type: 'ProductCreated'
  readonly brand: string
  readonly name: string
  readonly category: string
}
export interface ProductPhotographed extends EventFacts {
  readonly type: 'ProductPhotographed'
  readonly image: string
}
export interface ProductPurchased extends EventFacts {
  readonly type: 'ProductPurchased'
}
export type ProductEvent = ProductCreated | ProductPhotographed | ProductPurchased

/** A decoded record: one of our events, or an event that belongs to another view. */
export type DecodedRecord =
  | { readonly kind: 'event'; readonly event: ProductEvent }
  | { readonly kind: 'foreign'; readonly schema: string }

type Envelope = IngressEnvelope | EgressEnvelope

const validate = <A>(codec: t.Decoder<unknown, A>, value: unknown): E.Either<string, A> =>
  pipe(codec.decode(value), E.mapLeft(reasonOf))

const decodeEnvelope = (payload: unknown): E.Either<string, Envelope> => {
  const schema = (payload as { schema?: unknown } | null)?.schema
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return E.left(`expected a JSON object envelope, got ${describeValue(payload)}`)
  }
  if (schema === INGRESS_SCHEMA) return validate(IngressEnvelope, payload)
  if (schema === EGRESS_SCHEMA) return validate(EgressEnvelope, payload)
  return E.left(
    `schema: expected "${INGRESS_SCHEMA}" or "${EGRESS_SCHEMA}", got ${describeValue(schema)}`,
  )
}

/** What an envelope says of every event it carries: who, when, where in the stream. */
const factsOf = (envelope: Envelope, position: Position) => {
  const ingress =
    envelope.schema === EGRESS_SCHEMA ? ingressPositionOf(envelope.eventId) : undefined
  return (productId: string): EventFacts => ({
    productId,
    userId: envelope.origin,
    time: envelope.timeOrigin,
    position,
    ...(ingress === undefined ? {} : { ingress }),
  })
}

const toEvent = (envelope: Envelope, position: Position): E.Either<string, DecodedRecord> => {
  const data = envelope.data
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return E.left(`data: expected a JSON object, got ${describeValue(data)}`)
  }
  const schema = (data as { schema?: unknown }).schema
  if (typeof schema !== 'string')
    return E.left(`data.schema: expected a string, got ${describeValue(schema)}`)
  const facts = factsOf(envelope, position)
  const asEvent = (event: ProductEvent): DecodedRecord => ({ kind: 'event', event })
  const inData = (reason: string): string => `data.${reason}`
  switch (schema) {
    case CREATE_SCHEMA:
      return pipe(
        validate(CreateProductData, data),
        E.bimap(inData, (d) =>
          asEvent({
            type: 'ProductCreated',
            ...facts(d.id),
            brand: d.brand,
            name: d.name,
            category: d.category,
          }),
        ),
      )
    case IMAGE_SCHEMA:
      return pipe(
        validate(ImageProductData, data),
        E.bimap(inData, (d) =>
          asEvent({ type: 'ProductPhotographed', ...facts(d.id), image: d.image }),
        ),
      )
    case PURCHASE_SCHEMA:
      return pipe(
        validate(PurchaseProductData, data),
        E.bimap(inData, (d) => asEvent({ type: 'ProductPurchased', ...facts(d.id) })),
      )
    default:
      return E.right({ kind: 'foreign', schema })
  }
}

/**
 * The producers write `PartitionKey: data.id`, and the view relies on it: only then are a
 * product's events in one shard, in order. A product event under another key is rejected
 * rather than folded out of order or dropped as already folded.
 */
export const requireRoutedByProduct =
  (partitionKey: string) =>
  (decoded: DecodedRecord): E.Either<string, DecodedRecord> =>
    decoded.kind !== 'event' || decoded.event.productId === partitionKey
      ? E.right(decoded)
      : E.left(
          `partitionKey: expected the product id ${describeValue(decoded.event.productId)}, got ${describeValue(partitionKey)}`,
        )

/**
 * Decodes a parsed record payload into a product event, another view's event, or a
 * reason naming the failing field (`data.id: expected ..., got 42`).
 */
export const decodeEvent = (
  payload: unknown,
  position: Position,
): E.Either<string, DecodedRecord> =>
  pipe(
    decodeEnvelope(payload),
    E.chain((envelope) => toEvent(envelope, position)),
  )

/**
 * How every view of the product events reads a record: its payload decoded, and refused
 * when a product event is not under its product id (see `requireRoutedByProduct`).
 */
export const decodeProductRecord = (
  payload: unknown,
  position: Position,
  partitionKey: string,
): E.Either<string, DecodedRecord> =>
  pipe(decodeEvent(payload, position), E.chain(requireRoutedByProduct(partitionKey)))
