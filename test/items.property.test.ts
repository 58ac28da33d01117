import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { itemToProduct, productToItem } from '../src/adapters/items'
import type { ProductEvent } from '../src/domain/events'
import { fold, initial, type ProductState } from '../src/domain/product'
import { transactionItems } from '../src/runtime/items'
import type { StateWrite } from '../src/runtime/store'
import { winnerView } from '../src/views/winner'
import { detailArb, logArb } from './support/arbitraries'

// Logs of some thirty events, so that most transactions share a user between products.
fc.configureGlobal({ baseSize: 'medium' })

const names = { contributions: 'Contributions', scores: 'Scores', rejected: 'Rejected' }
const REQUIRED = [
  'productId',
  'purchases',
  'creatorScore',
  'photographerScore',
  'lastSequenceNumber',
  'lastEventId',
  'created',
  'updated',
] as const

/** Each product's state after folding its events of `log` onto `states` (or its initial). */
const foldLog = (log: ReadonlyArray<ProductEvent>, states = new Map<string, ProductState>()) => {
  const ids = [...new Set(log.map((event) => event.productId))]
  return new Map(
    ids.map((id) => {
      const events = log.filter((event) => event.productId === id)
      return [id, fold(states.get(id) ?? initial(id), events)] as const
    }),
  )
}

/** The ingress record an event at `position` was fanned out from, just before it. */
const ingressOf = (event: ProductEvent) => ({
  shardId: 'shardId-000000000009',
  sequenceNumber: (BigInt(event.position.sequenceNumber) - 1_000n).toString(),
})

/**
 * A non-empty log whose create events carry any details, empty ones included, and whose
 * even events came through the fan-out when `egress` is set.
 */
const nonEmptyLogArb = fc
  .tuple(logArb(), detailArb, fc.boolean())
  .filter(([log]) => log.length > 0)
  .map(([log, detail, egress]) =>
    log.map((event, at) => {
      const details = event.type === 'ProductCreated' ? { brand: detail, name: detail } : {}
      const ingress = egress && at % 2 === 0 ? { ingress: ingressOf(event) } : {}
      return { ...event, ...details, ...ingress }
    }),
  )

/** A state the view writes: some product's state after folding a log. */
const writtenStateArb = nonEmptyLogArb.chain((log) => fc.constantFrom(...foldLog(log).values()))

/** A transaction's writes: the log folded in two steps, the second step written. */
const writesArb = fc.tuple(logArb(), fc.nat()).map(([log, cut]): StateWrite<ProductState>[] => {
  const at = cut % (log.length + 1)
  const before = foldLog(log.slice(0, at))
  return [...foldLog(log.slice(at), before).values()].flatMap((after) => {
    const read = before.get(after.productId) ?? initial(after.productId)
    if (after === read) return []
    const expectedPosition = read.lastSequenceNumber
    const deltas = winnerView.deltas(read, after)
    return [{ key: after.productId, state: after, expectedPosition, deltas }]
  })
})

const withoutAttribute = (item: Record<string, unknown>, attribute: string) =>
  Object.fromEntries(Object.entries(item).filter(([key]) => key !== attribute))

const itemKeyOf = (item: ReturnType<typeof transactionItems>[number]): string =>
  item.Put === undefined
    ? `${item.Update?.TableName} ${JSON.stringify(item.Update?.Key)}`
    : `${item.Put.TableName} ${JSON.stringify({ productId: item.Put.Item?.productId })}`

const scoresItemOf = (key: Readonly<Record<string, unknown>> | undefined) =>
  `${key?.userId} ${key?.role}`

/** Per Scores item, the sum of the writes' deltas, added up here without the adapter. */
const summed = (writes: ReadonlyArray<StateWrite<ProductState>>) => {
  const sums = new Map<string, Record<string, number>>()
  for (const delta of writes.flatMap((write) => write.deltas)) {
    const seen = sums.get(scoresItemOf(delta.key)) ?? { score: 0, products: 0 }
    sums.set(scoresItemOf(delta.key), {
      score: (seen.score ?? 0) + (delta.add.score ?? 0),
      products: (seen.products ?? 0) + (delta.add.products ?? 0),
    })
  }
  return sums
}

/** What the Updates ADD, per Scores item, read from their expression's names and values. */
const addedBy = (items: ReturnType<typeof transactionItems>) =>
  new Map(
    items.flatMap(({ Update }) => {
      if (Update === undefined) return []
      const added: Record<string, unknown> = {}
      const names = Update.ExpressionAttributeNames ?? {}
      const expression = Update.UpdateExpression ?? ''
      const adds = expression.slice(expression.indexOf('ADD ') + 'ADD '.length)
      for (const clause of adds.split(', ')) {
        const [name = '', value = ''] = clause.split(' ')
        added[names[name] ?? name] = Update.ExpressionAttributeValues?.[value]
      }
      return [[scoresItemOf(Update.Key), added] as const]
    }),
  )

describe('Contributions items', () => {
  it('read back every state the view writes unchanged: itemToProduct(productToItem(s)) is right(s)', () => {
    fc.assert(
      fc.property(writtenStateArb, (state) => {
        expect(itemToProduct(productToItem(state))).toStrictEqual(E.right(state))
      }),
      { numRuns: 1000 },
    )
  })

  it('refuse an item that lacks a required attribute, with a reason naming that attribute', () => {
    fc.assert(
      fc.property(writtenStateArb, fc.constantFrom(...REQUIRED), (state, attribute) => {
        const read = itemToProduct(withoutAttribute(productToItem(state), attribute))
        expect(E.isLeft(read)).toBe(true)
        expect(E.isLeft(read) && read.left).toMatch(new RegExp(`[ .]${attribute}: expected `))
      }),
      { numRuns: 1000 },
    )
  })
})

describe('transaction items', () => {
  it('never name one item twice: one Put per write and one Update per distinct (userId, role)', () => {
    fc.assert(
      fc.property(writesArb, (writes) => {
        const items = transactionItems(winnerView, names, writes)
        const keys = items.map(itemKeyOf)
        expect(new Set(keys).size).toBe(keys.length)
        expect(items.filter((item) => item.Put !== undefined)).toHaveLength(writes.length)
        expect(items.filter((item) => item.Update !== undefined)).toHaveLength(summed(writes).size)
      }),
      { numRuns: 1000 },
    )
  })

  it('add to each Scores item exactly the sum of the writes’ deltas for it', () => {
    fc.assert(
      fc.property(writesArb, (writes) => {
        expect(addedBy(transactionItems(winnerView, names, writes))).toEqual(summed(writes))
      }),
      { numRuns: 1000 },
    )
  })
})
