import * as t from 'io-ts'

/** A short, safe rendering of a rejected value for a reason: never a whole payload. */
export const describe = (value: unknown): string => {
  if (value === undefined) return 'nothing'
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value)
  }
  if (Array.isArray(value)) return 'an array'
  if (value === null || typeof value !== 'object') return String(value)
  return 'an object'
}

const utf8Length = (text: string): number => new TextEncoder().encode(text).byteLength

// Each UTF-16 unit encodes to at most 3 UTF-8 bytes, so short strings need no count.
const exceedsBytes = (text: string, maxBytes: number): boolean =>
  text.length * 3 > maxBytes && new TextEncoder().encode(text).byteLength > maxBytes

/** A non-empty string of at most `maxBytes` UTF-8 bytes (DynamoDB's key and item limits). */
export const boundedText = (maxBytes: number): t.Type<string, string, unknown> => {
  const expected = `a non-empty string of at most ${maxBytes.toLocaleString('en-US')} bytes`
  return new t.Type<string, string, unknown>(
    expected,
    (u): u is string => typeof u === 'string' && u.length > 0 && !exceedsBytes(u, maxBytes),
    (u, c) => {
      if (typeof u !== 'string' || u.length === 0) {
        return t.failure(u, c, `expected ${expected}, got ${describe(u)}`)
      }
      return exceedsBytes(u, maxBytes)
        ? t.failure(
            u,
            c,
            `expected ${expected}, got ${utf8Length(u).toLocaleString('en-US')} bytes`,
          )
        : t.success(u)
    },
    t.identity,
  )
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/

/** An ISO-8601 date and time with a zone, as `timeOrigin` is written. */
export const IsoTime = new t.Type<string, string, unknown>(
  'an ISO-8601 time',
  (u): u is string => typeof u === 'string' && ISO_8601.test(u) && !Number.isNaN(Date.parse(u)),
  (u, c) =>
    typeof u === 'string' && ISO_8601.test(u) && !Number.isNaN(Date.parse(u))
      ? t.success(u)
      : t.failure(u, c, `expected an ISO-8601 time, got ${describe(u)}`),
  t.identity,
)

/** An absolute http(s) URL of at most 4 KiB. */
export const ImageUrl = new t.Type<string, string, unknown>(
  'an http(s) URL',
  (u): u is string => typeof u === 'string' && /^https?:\/\/\S+$/.test(u) && u.length <= 4096,
  (u, c) => {
    if (typeof u !== 'string' || !/^https?:\/\/\S+$/.test(u)) {
      return t.failure(u, c, `expected an http(s) URL, got ${describe(u)}`)
    }
    return exceedsBytes(u, 4096)
      ? t.failure(u, c, 'expected a URL of at most 4,096 bytes')
      : t.success(u)
  },
  t.identity,
)

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u)

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
  const requiredProps = t.type(required)
  const optionalProps = t.partial(optional)
  const is = (u: unknown): u is Closed =>
    isObject(u) &&
    Object.keys(u).every((key) => known.has(key)) &&
    requiredProps.is(u) &&
    optionalProps.is(u)
  return new t.Type<Closed, unknown, unknown>(
    name,
    is,
    (u, c) => {
      if (!isObject(u)) return t.failure(u, c, `expected a JSON object, got ${describe(u)}`)
      const extra = Object.keys(u).find((key) => !known.has(key))
      if (extra !== undefined) {
        const value = u[extra]
        return t.failure(value, t.appendContext(c, extra, t.unknown, value), 'unexpected property')
      }
      // Validated one after the other, not as an intersection, so paths carry no indexes.
      const checked = requiredProps.validate(u, c)
      if (checked._tag === 'Left') return checked
      const checkedOptional = optionalProps.validate(u, c)
      return checkedOptional._tag === 'Left' ? checkedOptional : t.success(u as Closed)
    },
    t.identity,
  )
}

/** The path of a failure as `data.id`: the keys below the root. */
const pathOf = (context: t.Context): string =>
  context
    .slice(1)
    .map((entry) => entry.key)
    .join('.')

/** One line per failure: `data.id: expected a non-empty string ..., got 42`. */
export const reasonOf = (errors: t.Errors): string => {
  const first = errors[0]
  if (first === undefined) return 'invalid'
  const path = pathOf(first.context)
  const type = first.context[first.context.length - 1]?.type
  const message =
    first.message ?? `expected ${type?.name ?? 'a value'}, got ${describe(first.value)}`
  return path === '' ? message : `${path}: ${message}`
}
