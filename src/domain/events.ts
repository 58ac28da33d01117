import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as t from 'io-ts'
import { closed, describeValue, IsoTime, MAX_KEY_BYTES, reasonOf, storedText } from './codecs'
import { ingressPositionOf, type Position } from './position'
import {
  type EventData,
  PRODUCT_UPCASTERS,
  type ProductKind,
  productKindOf,
  type Upcasters,
  upcastTo,
} from './upcasters'

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

/** The version of each product event this view reads; other versions go through an upcaster. */
const CURRENT_SCHEMA: Readonly<Record<ProductKind, string>> = {
  create: CREATE_SCHEMA,
  image: IMAGE_SCHEMA,
  purchase: PURCHASE_SCHEMA,
}

/** A product event from its data at the version the view reads (`CURRENT_SCHEMA`). */
const eventOf = (
  kind: ProductKind,
  data: unknown,
  facts: (productId: string) => EventFacts,
): E.Either<string, ProductEvent> => {
  switch (kind) {
    case 'create':
      return pipe(
        validate(CreateProductData, data),
        E.map((d) => ({
          type: 'ProductCreated',
          ...facts(d.id),
          brand: d.brand,
          name: d.name,
          category: d.category,
        })),
      )
    case 'image':
      return pipe(
        validate(ImageProductData, data),
        E.map((d) => ({ type: 'ProductPhotographed', ...facts(d.id), image: d.image })),
      )
    case 'purchase':
      return pipe(
        validate(PurchaseProductData, data),
        E.map((d) => ({ type: 'ProductPurchased', ...facts(d.id) })),
      )
  }
}

/** An envelope's data: a JSON object naming its schema. */
const dataOf = (envelope: Envelope): E.Either<string, EventData & { readonly schema: string }> => {
  const data = envelope.data
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return E.left(`data: expected a JSON object, got ${describeValue(data)}`)
  }
  const schema = (data as { schema?: unknown }).schema
  return typeof schema === 'string'
    ? E.right({ ...data, schema })
    : E.left(`data.schema: expected a string, got ${describeValue(schema)}`)
}

/** A product event at any version the view reads (`CURRENT_SCHEMA` or an upcaster's), else another view's. */
const toEvent =
  (upcasters: Upcasters, position: Position) =>
  (envelope: Envelope): E.Either<string, DecodedRecord> =>
    pipe(
      dataOf(envelope),
      E.chain((data): E.Either<string, DecodedRecord> => {
        const kind = productKindOf(data.schema)
        if (kind === undefined) return E.right({ kind: 'foreign', schema: data.schema })
        const current = CURRENT_SCHEMA[kind]
        const upcast =
          data.schema === current ? '' : ` (read as ${current} from ${describeValue(data.schema)})`
        return pipe(
          upcastTo(current, upcasters)(data),
          E.chain((read) =>
            pipe(
              eventOf(kind, read, factsOf(envelope, position)),
              E.mapLeft((reason) => `data.${reason}${upcast}`),
            ),
          ),
          E.map((event) => ({ kind: 'event', event })),
        )
      }),
    )

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
  upcasters: Upcasters = PRODUCT_UPCASTERS,
): E.Either<string, DecodedRecord> =>
  pipe(decodeEnvelope(payload), E.chain(toEvent(upcasters, position)))

/**
 * How every view of the product events reads a record: its payload decoded (other versions
 * through `upcasters`), and refused when a product event is not under its product id (see `requireRoutedByProduct`).
 */
export const decodeProductRecordWith =
  (upcasters: Upcasters) =>
  (payload: unknown, position: Position, partitionKey: string): E.Either<string, DecodedRecord> =>
    pipe(decodeEvent(payload, position, upcasters), E.chain(requireRoutedByProduct(partitionKey)))

/** How the product views read a record: with the upcasters of `PRODUCT_UPCASTERS`. */
export const decodeProductRecord = decodeProductRecordWith(PRODUCT_UPCASTERS)
