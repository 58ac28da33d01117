import fc from 'fast-check'
import { emptyTables, memoryStore, totalsIn, updateTotalsIn } from '../src/runtime/memoryStore'
import {
  aggregateOfItem,
  partialDeltasOf,
  partialItemOf,
  partialsTable,
  partialsTableOf,
  perWriterView,
} from '../src/runtime/partials'
import { aggregateItemKey } from '../src/runtime/plan'
import {
  applyRun,
  type PartialRun,
  partialImageOf,
  runsOf,
  stepFrom,
  type TotalsStore,
  type TotalsUpdate,
  totalsOfPartials,
} from '../src/runtime/totals'
import { tablesOf } from '../src/runtime/view'
import { categorySalesView } from '../src/views/categorySales'
import { winnerView } from '../src/views/winner'

const SHARD = 'shardId-000000000007'
const annScores = {
  table: 'scores',
  key: { userId: 'ann', role: 'creator' },
  add: { score: 3, products: 1 },
  set: { leaderboardKey: 'creator#5' },
}
const ANN = '"scores","role","creator","userId","ann"'

describe('partial sums', () => {
  it('adds a fold’s aggregate deltas to the writer’s partial of each aggregate item, one version a write', () => {
    expect(
      partialDeltasOf(SHARD, [annScores, { ...annScores, add: { score: 2, products: 0 } }]),
    ).toEqual([
      {
        table: 'partials',
        key: { item: partialItemOf(ANN), writer: SHARD },
        add: { score: 5, products: 1, version: 1 },
        set: { leaderboardKey: 'creator#5', aggregate: ANN },
      },
    ])
  })

  it('keys a partial by a SHA-256 of the aggregate item, 43 characters whatever its key’s length', () => {
    // As `printf '%s' "$ANN" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d =` gives it.
    expect(partialItemOf(ANN)).toBe('ocQYCm2hOLk6xqSUjFaS-ZWZG_RrDmAd-a53PX5I4-E')
    expect(partialItemOf(`"categorySales","categoryKey","#${'é'.repeat(1023)}"`)).toHaveLength(43)
  })

  it('refuses an aggregate attribute named as one of the partial’s own, naming it', () => {
    expect(() => partialDeltasOf(SHARD, [{ ...annScores, add: { version: 1 } }])).toThrow(
      'the aggregate scores names an attribute version, which its partial sums keep for themselves',
    )
    expect(() => partialDeltasOf(SHARD, [{ ...annScores, set: { writer: 'x' } }])).toThrow(
      'names an attribute writer',
    )
    expect(() => partialDeltasOf(SHARD, [{ ...annScores, add: { 'applied#x': 1 } }])).toThrow(
      'names an attribute applied#x',
    )
  })

  it('reads back the table and key of any aggregate item from its name', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.dictionary(fc.string({ minLength: 1 }), fc.string({ unit: 'binary' })),
        (table, key) => {
          expect(aggregateOfItem(aggregateItemKey({ table, key }))).toEqual({ table, key })
        },
      ),
    )
  })

  it('keys the partials table by item and writer, its stream carrying the images before and after', () => {
    expect(partialsTable).toEqual({
      AttributeDefinitions: [
        { AttributeName: 'item', AttributeType: 'S' },
        { AttributeName: 'writer', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'item', KeyType: 'HASH' },
        { AttributeName: 'writer', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    })
  })

  it('refuses a name that names no aggregate item, saying so', () => {
    for (const name of ['"scores","role"', '"scores",1,"x"', '{}', '"scores","role",["x"]'])
      expect(() => aggregateOfItem(name)).toThrow(
        `a partial's aggregate ${JSON.stringify(name)} names no aggregate item`,
      )
  })

  it('leaves a view without aggregates as it is', () => {
    const bare = { ...winnerView, tables: { ...winnerView.tables, aggregates: [] } }
    expect(perWriterView(bare, SHARD)).toBe(bare)
  })

  it('gives each view with aggregates a partials table named after its state table, listed before Rejected', () => {
    expect(tablesOf(winnerView).map((t) => [t.role, t.suffix])).toEqual([
      ['contributions', 'Contributions'],
      ['scores', 'Scores'],
      ['partials', 'ContributionsPartials'],
      ['rejected', 'Rejected'],
      ['marks', 'ContributionsMarks'],
    ])
    expect(partialsTableOf(categorySalesView)?.suffix).toBe('CategoryProductsPartials')
    expect(
      partialsTableOf({ ...winnerView, tables: { ...winnerView.tables, aggregates: [] } }),
    ).toBe(undefined)
  })

  it('folds as a writer with the same states and tables, its deltas going to its partials only', () => {
    const view = perWriterView(winnerView, SHARD)
    expect(tablesOf(view).map((t) => t.role)).toEqual([
      'contributions',
      'scores',
      'partials',
      'rejected',
      'marks',
    ])
    const before = winnerView.initial('p1')
    const after = {
      ...before,
      creator: 'ann',
      creatorScore: 2,
      purchases: 2,
      lastSequenceNumber: '3',
    }
    expect(view.evolve).toBe(winnerView.evolve)
    expect(view.deltas(before, after)).toEqual([
      {
        table: 'partials',
        key: { item: partialItemOf(ANN), writer: SHARD },
        add: { score: 2, products: 1, version: 1 },
        set: { leaderboardKey: expect.stringMatching(/^creator#[0-7]$/), aggregate: ANN },
      },
    ])
  })
})

const image = (version: number, score: number) => ({
  aggregate: ANN,
  version,
  sums: { score },
  set: { leaderboardKey: 'creator#5' },
})
const run = (from: number, ...versions: Array<[number, number]>): PartialRun =>
  runsOf(
    versions.map(([version, score], at) => ({
      sequenceNumber: String(at),
      item: partialItemOf(ANN),
      writer: SHARD,
      ...(at === 0 && from === 0
        ? {}
        : { before: at === 0 ? image(from, 10) : image(...(versions[at - 1] ?? [0, 0])) }),
      after: image(version, score),
    })),
  )[0] as PartialRun

describe('the totals stage’s step', () => {
  it('adds the difference between the last image and the one the totals include', () => {
    expect(stepFrom(run(2, [3, 14], [5, 19]), 2)).toEqual({
      kind: 'add',
      fromVersion: 2,
      add: { score: 9 },
    })
    expect(stepFrom(run(2, [3, 14], [5, 19]), 3)).toEqual({
      kind: 'add',
      fromVersion: 3,
      add: { score: 5 },
    })
  })

  it('adds nothing for a run the totals include already, at its last version or past it', () => {
    expect(stepFrom(run(2, [3, 14], [5, 19]), 5)).toEqual({ kind: 'included' })
    expect(stepFrom(run(2, [3, 14], [5, 19]), 8)).toEqual({ kind: 'included' })
  })

  it('finds a gap when the totals include a version the batch does not show', () => {
    expect(stepFrom(run(2, [3, 14], [5, 19]), 1)).toEqual({ kind: 'gap', applied: 1 })
    expect(stepFrom(run(2, [3, 14], [5, 19]), 4)).toEqual({ kind: 'gap', applied: 4 })
  })

  it('starts a partial’s first change from version 0 and nothing', () => {
    expect(stepFrom(run(0, [1, 3]), 0)).toEqual({ kind: 'add', fromVersion: 0, add: { score: 3 } })
  })
})

describe('applying a run', () => {
  const requests = (answers: ReadonlyArray<number | 'applied'>) => {
    const sent: TotalsUpdate[] = []
    const resynced: string[] = []
    const store: TotalsStore = {
      update: async (u) => {
        sent.push(u)
        const answer = answers[sent.length - 1]
        return answer === 'applied' || answer === undefined
          ? { kind: 'applied' }
          : { kind: 'includes', applied: answer }
      },
      resync: async (aggregate) => {
        resynced.push(aggregate)
      },
    }
    return { sent, resynced, update: store }
  }

  it('makes one request when the totals include the version before the run', async () => {
    const { sent, update } = requests(['applied'])
    expect(await applyRun(update, run(2, [3, 14], [5, 19]))).toBe('applied')
    expect(sent).toEqual([
      {
        table: 'scores',
        key: { userId: 'ann', role: 'creator' },
        set: { leaderboardKey: 'creator#5' },
        add: { score: 9 },
        writer: SHARD,
        fromVersion: 2,
        toVersion: 5,
      },
    ])
  })

  it('moves from the version the totals say they include, when another delivery got there first', async () => {
    const { sent, update } = requests([3, 'applied'])
    expect(await applyRun(update, run(2, [3, 14], [5, 19]))).toBe('applied')
    expect(sent.map((u) => [u.fromVersion, u.add])).toEqual([
      [2, { score: 9 }],
      [3, { score: 5 }],
    ])
  })

  it('makes no request more once the totals include the run', async () => {
    const { sent, update } = requests([5])
    expect(await applyRun(update, run(2, [3, 14], [5, 19]))).toBe('included')
    expect(sent).toHaveLength(1)
  })

  it('resyncs the totals item from its partials on a gap, never guessing over it', async () => {
    const gap = requests([1])
    expect(await applyRun(gap.update, run(2, [3, 14], [5, 19]))).toBe('resynced')
    expect(gap.sent).toHaveLength(1)
    expect(gap.resynced).toEqual([ANN])
  })

  it('resyncs the totals item of a partial deleted in the batch, with no update', async () => {
    const deleted = requests([])
    const [removed] = runsOf([
      {
        sequenceNumber: '7',
        item: partialItemOf(ANN),
        writer: SHARD,
        before: image(4, 12),
      },
    ])
    expect(removed?.removed).toBe(true)
    expect(await applyRun(deleted.update, removed as PartialRun)).toBe('resynced')
    expect([deleted.sent, deleted.resynced]).toEqual([[], [ANN]])
  })

  it('fails after three moves of the totals item under it', async () => {
    const moving = requests([3, 2, 3, 2])
    await expect(applyRun(moving.update, run(2, [3, 14], [5, 19]))).rejects.toThrow('kept moving')
    expect(moving.sent).toHaveLength(3)
  })
})

describe('the memory store’s totals', () => {
  it('applies an update only from the version it includes, and answers that version otherwise', () => {
    const tables = emptyTables()
    const update = updateTotalsIn(tables)
    const first = {
      table: 'scores',
      key: { userId: 'ann', role: 'creator' },
      set: { leaderboardKey: 'creator#5' },
      add: { score: 3 },
      writer: SHARD,
      fromVersion: 0,
      toVersion: 2,
    }
    expect(update(first)).toEqual({ kind: 'applied' })
    expect(update(first)).toEqual({ kind: 'includes', applied: 2 })
    expect(update({ ...first, fromVersion: 2, toVersion: 3, add: { score: -1 } })).toEqual({
      kind: 'applied',
    })
    expect(totalsIn(tables).get('scores')?.get(ANN)).toEqual({
      userId: 'ann',
      role: 'creator',
      leaderboardKey: 'creator#5',
      score: 2,
    })
  })

  it('makes a totals item whole from its partials: the key, the attributes set, the sums, each writer’s version', () => {
    expect(
      totalsOfPartials(ANN, [
        {
          aggregate: ANN,
          version: 4,
          sums: { score: 3, products: 1 },
          set: { leaderboardKey: 'creator#5' },
          writer: 'w1',
        },
        {
          aggregate: ANN,
          version: 9,
          sums: { score: 5, products: 2 },
          set: { leaderboardKey: 'creator#5' },
          writer: 'w2',
        },
      ]),
    ).toEqual({
      userId: 'ann',
      role: 'creator',
      leaderboardKey: 'creator#5',
      score: 8,
      products: 3,
      'applied#w1': 4,
      'applied#w2': 9,
    })
  })

  it('reads a partial’s image from its item, and refuses one without a version', () => {
    expect(
      partialImageOf({
        item: 'h',
        writer: SHARD,
        aggregate: ANN,
        version: 4,
        score: 7,
        leaderboardKey: 'creator#5',
      }),
    ).toEqual({
      aggregate: ANN,
      version: 4,
      sums: { score: 7 },
      set: { leaderboardKey: 'creator#5' },
    })
    expect(() => partialImageOf({ item: 'h', writer: SHARD, aggregate: ANN, score: 7 })).toThrow(
      'a partial of h has no version',
    )
    expect(() => partialImageOf({ item: 'h', writer: SHARD, aggregate: ANN, version: 0 })).toThrow(
      'a partial of h has no version',
    )
    expect(() => partialImageOf({ item: 'h', writer: SHARD, version: 2 })).toThrow(
      'a partial h names no aggregate item',
    )
  })

  it('keeps the totals pending with totals later, for the caller’s own stage', async () => {
    const store = memoryStore(winnerView, emptyTables(), { totals: 'later' })
    await store.writeStates([
      {
        key: 'p1',
        state: { ...winnerView.initial('p1'), lastSequenceNumber: '1' },
        expectedPosition: undefined,
        deltas: partialDeltasOf(SHARD, [annScores]),
      },
    ])
    expect(store.tables.partialChanges).toHaveLength(1)
    expect(totalsIn(store.tables).get('scores')).toBe(undefined)
  })
})
