import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import { describeValue } from './codecs'

/** The product events' kinds, as their `data.schema` names them: `com.nordstrom/product/<kind>/<version>`. */
export type ProductKind = 'create' | 'image' | 'purchase'

const PRODUCT_SCHEMA = /^com\.nordstrom\/product\/(create|image|purchase)\//

/**
 * Which product event a `data.schema` names, at any version; undefined for another view's
 * event. A product event at a version the view cannot read is rejected, never skipped: a
 * producer's upgrade must not lose sales without a sound.
 */
export const productKindOf = (schema: string): ProductKind | undefined =>
  PRODUCT_SCHEMA.exec(schema)?.[1] as ProductKind | undefined

/** An event's `data` as parsed JSON: read, never changed in place. */
export type EventData = Readonly<Record<string, unknown>>

/**
 * A pure function from one version of an event's data to a later one, whose `schema`
 * says which. Its laws (see `upcasters.property.test.ts`): it keeps the kind and the
 * product id, it is deterministic and leaves its input alone, and its chain reaches the
 * version the view reads.
 */
export type Upcaster = (data: EventData) => EventData

/** Upcasters by the `data.schema` they read. */
export type Upcasters = ReadonlyMap<string, Upcaster>

/**
 * The upcasters the product views read with. None yet: every producer of the retail
 * stream writes 1-0-0. Add one here when a producer publishes another version (the README's
 * "Event versions" says how), then rebuild to fold the records already rejected.
 */
export const PRODUCT_UPCASTERS: Upcasters = new Map()

const MAX_MESSAGE = 200

/** A schema as a reason quotes it: whole up to 200 characters (a reason stays short). */
const quoted = (schema: string): string =>
  schema.length <= MAX_MESSAGE
    ? JSON.stringify(schema)
    : `${JSON.stringify(schema.slice(0, MAX_MESSAGE))}… (${schema.length} characters)`

const unreadableVersion = (schema: string, current: string): string =>
  `data.schema: ${quoted(schema)} is a version this view cannot read (it reads ${JSON.stringify(current)}); add an upcaster for it`

/** One upcaster's step: its result, which must name the same kind of event as `current`. */
const stepOf = (
  upcaster: Upcaster,
  data: EventData,
  current: string,
): E.Either<string, EventData> => {
  const from = quoted(String(data.schema))
  let schema: unknown
  let next: EventData
  try {
    next = upcaster(data)
    schema = (next as { readonly schema?: unknown } | null | undefined)?.schema
  } catch (error) {
    const message = String(error instanceof Error ? error.message : error)
    return E.left(`data: the upcaster from ${from} failed: ${message.slice(0, MAX_MESSAGE)}`)
  }
  if (typeof next !== 'object' || next === null || Array.isArray(next))
    return E.left(
      `data: the upcaster from ${from} gave ${describeValue(next)}, not an event's data`,
    )
  return typeof schema === 'string' && productKindOf(schema) === productKindOf(current)
    ? E.right(next)
    : E.left(
        `data.schema: the upcaster from ${from} gave ${describeValue(schema)}, not ${current}'s kind`,
      )
}

/** The upcaster that reads `schema`, unless there is none or the chain came back to it. */
const upcasterOf = (
  schema: string,
  current: string,
  upcasters: Upcasters,
  passed: ReadonlySet<string>,
): E.Either<string, Upcaster> => {
  if (passed.has(schema)) {
    return E.left(`data.schema: the upcasters from ${quoted(schema)} go round in a loop`)
  }
  const upcaster = upcasters.get(schema)
  return upcaster === undefined ? E.left(unreadableVersion(schema, current)) : E.right(upcaster)
}

/**
 * An event's data at the version the view reads (`current`): as it is, or through the
 * upcasters from its own version, one step at a time; else a reason naming the version.
 */
export const upcastTo =
  (current: string, upcasters: Upcasters) =>
  (data: EventData): E.Either<string, EventData> => {
    const from = (at: EventData, passed: ReadonlySet<string>): E.Either<string, EventData> => {
      if (at.schema === current) return E.right(at)
      const schema = String(at.schema)
      return pipe(
        upcasterOf(schema, current, upcasters, passed),
        E.chain((upcaster) => stepOf(upcaster, at, current)),
        E.chain((next) => from(next, new Set([...passed, schema]))),
      )
    }
    return from(data, new Set())
  }
