import { itemToProduct, productToItem } from '../adapters/items'
import { viewTables } from '../adapters/tables'
import { decodeProductRecord, type ProductEvent } from '../domain/events'
import { evolve, fanOutDuplicateReason, initial, type ProductState } from '../domain/product'
import { leaderboardKeyOf, type ScoreDelta, scoreDeltas } from '../domain/scores'
import type { AggregateDelta, View } from '../runtime/view'

/** A change to a user's Scores item, as the runtime ADDs it, with the leaderboard partition it sits in. */
const scoresUpdate = (delta: ScoreDelta): AggregateDelta => ({
  table: 'scores',
  key: { userId: delta.userId, role: delta.role },
  add: { score: delta.score, products: delta.products },
  set: { leaderboardKey: leaderboardKeyOf(delta.role, delta.userId) },
})

/**
 * The winner view: per product, who created and photographed it and how many units sold
 * (Contributions); per user and role, the points earned and the products held (Scores).
 */
export const winnerView: View<ProductEvent, ProductState> = {
  name: 'winner-view',
  decode: decodeProductRecord,
  keyOf: (event) => event.productId,
  initial,
  evolve,
  positionOf: (state) => state.lastSequenceNumber,
  duplicateOf: fanOutDuplicateReason,
  deltas: (before, after) => scoreDeltas(before, after).map(scoresUpdate),
  toItem: productToItem,
  fromItem: itemToProduct,
  tables: {
    state: {
      role: 'contributions',
      ...viewTables.contributions,
      keyAttribute: 'productId',
      positionAttribute: 'lastSequenceNumber',
    },
    aggregates: [{ role: 'scores', ...viewTables.scores }],
    rejected: { role: 'rejected', ...viewTables.rejected },
  },
}
