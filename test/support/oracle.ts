// The test oracle: what the tables must hold for a log, written from DESIGN.md's rules and
// sharing no code with the view (it imports nothing from src). Integration tests compare
// the tables with it; a bug in the decoder, the reducer, the score deltas or the item
// mapping then shows up as a difference instead of being predicted.

import type { KinesisStreamRecord } from 'aws-lambda'

type Json = Record<string, unknown>

/** One record as the stream holds it: the bytes as text, under a partition key. */
export interface OracleRecord {
  readonly partitionKey: string
  readonly data: string
}

/** The expected tables, positions left out (the emulator numbers records by time). */
export interface OracleView extends OracleTables {
  readonly skipped: number
}

/** What the tables can show of a view: items without positions, and how many records were rejected. */
export interface OracleTables {
  readonly contributions: Json[]
  readonly scores: Json[]
  readonly rejected: number
}

const INGRESS = 'com.nordstrom/retail-stream-ingress/1-0-0'
const EGRESS = 'com.nordstrom/retail-stream-egress/1-0-0'

const isPlainObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8')
const keyText = (value: unknown): value is string =>
  typeof value === 'string' && value !== '' && value.isWellFormed() && bytes(value) <= 2048
const detailText = (value: unknown): value is string =>
  typeof value === 'string' && value.isWellFormed() && bytes(value) <= 4096
const time = (value: unknown): boolean =>
  typeof value === 'string' &&
  /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/.test(value) &&
  !Number.isNaN(new Date(value).getTime())

/** True when `object` has every key of `required`, each passing, and no key outside `allowed`. */
const shaped = (
  object: Json,
  required: Record<string, (value: unknown) => boolean>,
  optional: Record<string, (value: unknown) => boolean>,
): boolean =>
  Object.keys(object).every(
    (key) => Object.hasOwn(required, key) || Object.hasOwn(optional, key),
  ) &&
  Object.entries(required).every(([key, ok]) => Object.hasOwn(object, key) && ok(object[key])) &&
  Object.entries(optional).every(([key, ok]) => !Object.hasOwn(object, key) || ok(object[key]))

const anyString = (value: unknown): boolean => typeof value === 'string'
/** A product id is also the record's Kinesis partition key: at most 256 characters. */
const productId = (value: unknown): value is string => keyText(value) && [...value].length <= 256

const envelopeIsValid = (envelope: Json): boolean => {
  const common = { schema: anyString, origin: keyText, timeOrigin: time, data: isPlainObject }
  if (envelope.schema === INGRESS)
    return shaped(envelope, common, { eventId: anyString, followsFrom: anyString })
  if (envelope.schema === EGRESS)
    return shaped(
      envelope,
      { ...common, eventId: anyString, timeIngest: time, timeProcess: time },
      { followsFrom: anyString },
    )
  return false
}

const DATA_RULES: Record<string, Record<string, (value: unknown) => boolean>> = {
  create: {
    schema: anyString,
    id: productId,
    brand: detailText,
    name: detailText,
    description: anyString,
    category: detailText,
  },
  image: { schema: anyString, id: productId, image: detailText },
  purchase: { schema: anyString, id: productId },
}

type Verdict =
  | { readonly kind: 'rejected' }
  | { readonly kind: 'skipped' }
  | { readonly kind: 'event'; readonly what: string; readonly envelope: Json; readonly data: Json }

/**
 * What DESIGN.md says of one record: one of the view's events, another view's, or
 * rejected (a product event under a partition key other than its id breaks the order).
 */
const judge = ({ partitionKey, data }: OracleRecord): Verdict => {
  const verdict = judgeData(data)
  return verdict.kind === 'event' && verdict.data.id !== partitionKey
    ? { kind: 'rejected' }
    : verdict
}

const judgeData = (text: string): Verdict => {
  let envelope: unknown
  try {
    envelope = JSON.parse(text)
  } catch {
    return { kind: 'rejected' }
  }
  if (!isPlainObject(envelope) || !envelopeIsValid(envelope)) return { kind: 'rejected' }
  const data = envelope.data as Json
  if (typeof data.schema !== 'string') return { kind: 'rejected' }
  const match = /^com\.nordstrom\/product\/(create|image|purchase)\/([\s\S]*)$/.exec(data.schema)
  if (match === null) return { kind: 'skipped' }
  // DESIGN.md: a product event at a version the view has no upcaster for (it has none) is rejected.
  if (match[2] !== '1-0-0') return { kind: 'rejected' }
  const what = match[1] ?? ''
  const optional = what === 'create' ? { price: anyString } : {}
  if (!shaped(data, DATA_RULES[what] ?? {}, optional)) return { kind: 'rejected' }
  return { kind: 'event', what, envelope, data }
}

interface Product {
  productId: string
  creator?: string
  photographer?: string
  brand?: string
  name?: string
  category?: string
  purchases: number
  creatorScore: number
  photographerScore: number
  lastIngressSequenceNumber?: string
  created?: string
  updated?: string
}

/** The ingress record an egress envelope repeats, from its eventId `shardId-…:digits`. */
const ingressOf = (envelope: Json): bigint | undefined => {
  if (envelope.schema !== EGRESS) return undefined
  const match = /^shardId-\d{1,20}:(\d{1,129})$/.exec(String(envelope.eventId))
  return match?.[1] === undefined ? undefined : BigInt(match[1])
}

/** DESIGN.md: an egress event whose ingress record is at or below the last one folded is a duplicate. */
const isDuplicate = (product: Product, ingress: bigint | undefined): boolean =>
  ingress !== undefined &&
  product.lastIngressSequenceNumber !== undefined &&
  ingress <= BigInt(product.lastIngressSequenceNumber)

const apply = (product: Product, what: string, user: string, data: Json): void => {
  if (what === 'create' && product.creator === undefined) {
    product.creator = user
    product.brand = String(data.brand)
    product.name = String(data.name)
    product.category = String(data.category)
  }
  if (what === 'image' && product.photographer === undefined) product.photographer = user
  if (what === 'purchase') {
    product.purchases += 1
    if (product.creator !== undefined) product.creatorScore += 1
    if (product.photographer !== undefined) product.photographerScore += 1
  }
}

/** Folds one event into its product; false, folding nothing, for a fan-out duplicate. */
const foldOnce = (product: Product, event: Verdict & { kind: 'event' }): boolean => {
  const ingress = ingressOf(event.envelope)
  if (isDuplicate(product, ingress)) return false
  if (ingress !== undefined) product.lastIngressSequenceNumber = String(ingress)
  apply(product, event.what, String(event.envelope.origin), event.data)
  product.created ??= String(event.envelope.timeOrigin)
  product.updated = String(event.envelope.timeOrigin)
  return true
}

const byText = (a: string, b: string): number => a.localeCompare(b, 'en')

/** A user's score is the sum of the role's score over their products; products, their count. */
const scoresOf = (products: ReadonlyArray<Product>): Json[] => {
  const totals = new Map<
    string,
    { userId: string; role: string; score: number; products: number }
  >()
  const credit = (userId: string | undefined, role: string, score: number) => {
    if (userId === undefined) return
    const key = JSON.stringify([userId, role])
    const total = totals.get(key) ?? { userId, role, score: 0, products: 0 }
    totals.set(key, { ...total, score: total.score + score, products: total.products + 1 })
  }
  for (const p of products) {
    credit(p.creator, 'creator', p.creatorScore)
    credit(p.photographer, 'photographer', p.photographerScore)
  }
  return [...totals.values()].sort((a, b) => byText(a.userId, b.userId) || byText(a.role, b.role))
}

/**
 * The tables DESIGN.md predicts for records delivered in this order (each product's
 * records in the order of its shard): Contributions items without their positions,
 * Scores items, and how many records are rejected and skipped.
 */
export const oracleView = (records: ReadonlyArray<OracleRecord>): OracleView => {
  const { products, ...counts } = foldRecords(records)
  return { contributions: products.map((p) => ({ ...p })), scores: scoresOf(products), ...counts }
}

/** Every product the records fold into, by product id, and how many were rejected and skipped. */
const foldRecords = (records: ReadonlyArray<OracleRecord>) => {
  const products = new Map<string, Product>()
  const counts = { rejected: 0, skipped: 0 }
  for (const record of records) {
    const outcome = outcomeOf(products, judge(record))
    if (outcome !== 'folded') counts[outcome] += 1
  }
  const all = [...products.values()].sort((a, b) => byText(a.productId, b.productId))
  return { products: all, ...counts }
}

/** What the category sales view's tables can show, positions left out. */
export interface OracleCategoryTables {
  readonly categoryProducts: Json[]
  readonly categorySales: Json[]
  readonly rejected: number
}

/**
 * The category sales view's tables for records delivered in this order. It reads the
 * stream by the same rules (same records rejected, same duplicates), so per product it
 * holds the category of the first create and the units sold; per category, keyed `#`
 * and the category, the units of its products, sales before the create included, and
 * how many products it has.
 */
export const oracleCategoryTables = (
  records: ReadonlyArray<OracleRecord>,
): OracleCategoryTables => {
  const { products, rejected } = foldRecords(records)
  const totals = new Map<
    string,
    { categoryKey: string; category: string; unitsSold: number; products: number }
  >()
  for (const { category, purchases } of products) {
    if (category === undefined) continue
    const total = totals.get(category) ?? {
      categoryKey: `#${category}`,
      category,
      unitsSold: 0,
      products: 0,
    }
    totals.set(category, {
      ...total,
      unitsSold: total.unitsSold + purchases,
      products: total.products + 1,
    })
  }
  return {
    categoryProducts: products.map((p) => ({
      productId: p.productId,
      ...(p.category === undefined ? {} : { category: p.category }),
      unitsSold: p.purchases,
      ...(p.lastIngressSequenceNumber === undefined
        ? {}
        : { lastIngressSequenceNumber: p.lastIngressSequenceNumber }),
    })),
    categorySales: [...totals.values()].sort((a, b) => byText(a.category, b.category)),
    rejected,
  }
}

/** What became of one record: folded into its product, skipped, or rejected. */
const outcomeOf = (
  products: Map<string, Product>,
  verdict: Verdict,
): 'folded' | 'skipped' | 'rejected' => {
  if (verdict.kind !== 'event') return verdict.kind
  const id = String(verdict.data.id)
  const product = products.get(id) ?? {
    productId: id,
    purchases: 0,
    creatorScore: 0,
    photographerScore: 0,
  }
  if (!foldOnce(product, verdict)) return 'rejected'
  products.set(id, product)
  return 'folded'
}

const dataIdOf = (line: string): unknown => {
  try {
    return JSON.parse(line)?.data?.id
  } catch {
    return undefined
  }
}

/**
 * JSON lines as records, in file order (blank lines are not records), each under its
 * data.id as the producers write them, or under a key of its own when it has none.
 */
export const oracleRecordsOfLines = (lines: ReadonlyArray<string>): OracleRecord[] =>
  lines
    .filter((line) => line.trim() !== '')
    .map((data, at) => {
      const id = dataIdOf(data)
      return { partitionKey: typeof id === 'string' && id !== '' ? id : `line-${at + 1}`, data }
    })

/** The tables alone (Contributions without positions, Scores, the count of Rejected) that `oracleView` predicts. */
export const oracleTables = (records: ReadonlyArray<OracleRecord>): OracleTables => {
  const { contributions, scores, rejected } = oracleView(records)
  return { contributions, scores, rejected }
}

const BASE64 = /^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The record's bytes as text; data that is not base64 of UTF-8 text is no JSON: an empty text. */
const textOf = (base64: string): string => {
  if (!BASE64.test(base64)) return ''
  try {
    return utf8.decode(Buffer.from(base64, 'base64'))
  } catch {
    return ''
  }
}

/** Records as Lambda delivers them, in the order given: base64 data decoded to UTF-8 text. */
export const oracleRecordsOfKinesis = (
  records: ReadonlyArray<KinesisStreamRecord>,
): OracleRecord[] =>
  records.map(({ kinesis }) => ({ partitionKey: kinesis.partitionKey, data: textOf(kinesis.data) }))
