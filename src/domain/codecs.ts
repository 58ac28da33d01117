import * as t from 'io-ts'

/** A short, safe rendering of a rejected value for a reason: never a whole payload. */
export const describeValue = (value: unknown): string => {
  if (value === undefined) return 'nothing'
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value)
  }
  if (Array.isArray(value)) return 'an array'
  // Only code (an upcaster) makes one: its source is no short rendering.
  if (typeof value === 'function') return 'a function'
  if (value === null || typeof value !== 'object') return String(value)
  return 'an object'
}

/** A codec whose `is` is its `validate`, so the two can never disagree. */
const refined = <A>(
  name: string,
  check: (u: unknown) => string | undefined,
): t.Type<A, A, unknown> =>
  new t.Type<A, A, unknown>(
    name,
    (u): u is A => check(u) === undefined,
    (u, c) => {
      const problem = check(u)
      return problem === undefined ? t.success(u as A) : t.failure(u, c, problem)
    },
    t.identity,
  )

/** DynamoDB partition keys hold at most 2,048 bytes; user ids and categories are such keys. */
export const MAX_KEY_BYTES = 2048

/** A text's length in UTF-8 bytes, as DynamoDB counts a key's size. */
export const utf8Length = (text: string): number => new TextEncoder().encode(text).byteLength

/** Whether a text is over `maxBytes` in UTF-8; each UTF-16 unit is at most 3 bytes, so short texts need no count. */
export const exceedsBytes = (text: string, maxBytes: number): boolean =>
  text.length * 3 > maxBytes && utf8Length(text) > maxBytes

export interface TextRules {
  /** Keys must be non-empty; the published schemas allow empty details. */
  readonly nonEmpty: boolean
  /** DynamoDB's limits: 2,048 bytes for a partition key, 400 KB for an item. */
  readonly maxBytes: number
  /** In characters (code points), as Kinesis counts a partition key. */
  readonly maxLength?: number
}

const codePoints = (text: string): number => {
  let count = 0
  for (const _ of text) count += 1
  return count
}

const sizeProblem = (text: string, { maxBytes, maxLength }: TextRules): string | undefined => {
  if (maxLength !== undefined && text.length > maxLength && codePoints(text) > maxLength)
    return `${codePoints(text).toLocaleString('en-US')} characters`
  if (exceedsBytes(text, maxBytes)) return `${utf8Length(text).toLocaleString('en-US')} bytes`
  return undefined
}

/**
 * A string the view stores and must read back equal: well-formed Unicode (DynamoDB cannot
 * keep a lone surrogate), within its size limits, non-empty where it is a key.
 */
export const storedText = (rules: TextRules): t.Type<string, string, unknown> => {
  const size =
    rules.maxLength === undefined
      ? `${rules.maxBytes.toLocaleString('en-US')} bytes`
      : `${rules.maxLength.toLocaleString('en-US')} characters`
  const expected = `${rules.nonEmpty ? 'a non-empty' : 'a'} string of at most ${size}`
  return refined<string>(expected, (u) => {
    if (typeof u !== 'string' || (rules.nonEmpty && u.length === 0)) {
      return `expected ${expected}, got ${describeValue(u)}`
    }
    if (!u.isWellFormed()) return 'expected well-formed Unicode, got a lone surrogate'
    const problem = sizeProblem(u, rules)
    return problem === undefined ? undefined : `expected ${expected}, got ${problem}`
  })
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/

/** An ISO-8601 date and time with a zone, as `timeOrigin` is written. */
export const IsoTime = refined<string>('an ISO-8601 time', (u) =>
  typeof u === 'string' && ISO_8601.test(u) && !Number.isNaN(Date.parse(u))
    ? undefined
    : `expected an ISO-8601 time, got ${describeValue(u)}`,
)

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u)

/**
 * An object with these required and optional properties, validated one group after the
 * other (not as an intersection), so that a failure's path carries no member index.
 */
export const withOptional = <R extends t.Props, O extends t.Props>(
  name: string,
  required: R,
  optional: O,
): t.Type<t.TypeOfProps<R> & t.TypeOfPartialProps<O>, unknown, unknown> => {
  type Both = t.TypeOfProps<R> & t.TypeOfPartialProps<O>
  const requiredProps = t.type(required)
  const optionalProps = t.partial(optional)
  return new t.Type<Both, unknown, unknown>(
    name,
    (u): u is Both => requiredProps.is(u) && optionalProps.is(u),
    (u, c) => {
      const checked = requiredProps.validate(u, c)
      if (checked._tag === 'Left') return checked
      const checkedOptional = optionalProps.validate(u, c)
      return checkedOptional._tag === 'Left' ? checkedOptional : t.success(u as Both)
    },
    t.identity,
  )
}

/**
 * An object with exactly these properties: the published schemas forbid additional
 * properties, so an unknown one (`__proto__` included) fails, naming it.
 */
export const closed = <R extends t.Props, O extends t.Props>(
  name: string,
  required: R,
  optional: O,
): t.Type<t.TypeOfProps<R> & t.TypeOfPartialProps<O>, unknown, unknown> => {
  type Closed = t.TypeOfProps<R> & t.TypeOfPartialProps<O>
  const known = new Set([...Object.keys(required), ...Object.keys(optional)])
  const props = withOptional(name, required, optional)
  return new t.Type<Closed, unknown, unknown>(
    name,
    (u): u is Closed => isObject(u) && Object.keys(u).every((key) => known.has(key)) && props.is(u),
    (u, c) => {
      if (!isObject(u)) return t.failure(u, c, `expected a JSON object, got ${describeValue(u)}`)
      const extra = Object.keys(u).find((key) => !known.has(key))
      if (extra === undefined) return props.validate(u, c)
      const value = u[extra]
      return t.failure(value, t.appendContext(c, extra, t.unknown, value), 'unexpected property')
    },
    t.identity,
  )
}

/** A property name as a reason shows it: a long one is cut, and its length given. */
const shownKey = (key: string): string =>
  key.length <= 100
    ? key
    : `${key.slice(0, 40)}… (a name of ${key.length.toLocaleString('en-US')} characters)`

/** The path of a failure as `data.id`: the keys below the root. */
const pathOf = (context: t.Context): string =>
  context
    .slice(1)
    .map((entry) => shownKey(entry.key))
    .join('.')

/** A reason is at most this long, so that it always fits a Rejected item. */
export const MAX_REASON_LENGTH = 1000

/**
 * A reason as it is kept: well-formed Unicode (a lone surrogate of a property name is
 * replaced, since DynamoDB cannot keep it) and at most 1,000 characters.
 */
export const keptReason = (reason: string): string => {
  // Cut first, then mend: a cut may split a surrogate pair.
  const cut =
    reason.length <= MAX_REASON_LENGTH ? reason : `${reason.slice(0, MAX_REASON_LENGTH - 1)}…`
  return cut.toWellFormed()
}

/** One line per failure: `data.id: expected a non-empty string ..., got 42`. */
export const reasonOf = (errors: t.Errors): string => {
  const first = errors[0]
  if (first === undefined) return 'invalid'
  const path = pathOf(first.context)
  const type = first.context[first.context.length - 1]?.type
  const message =
    first.message ?? `expected ${type?.name ?? 'a value'}, got ${describeValue(first.value)}`
  return path === '' ? message : `${path}: ${message}`
}
