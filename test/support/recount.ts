import type { ProductEvent } from '../../src/domain/events'
import { type Role, scoreKey } from '../../src/domain/scores'

export interface Tally {
  score: number
  products: number
}

const ROLE_OF_EVENT: Partial<Record<ProductEvent['type'], Role>> = {
  ProductCreated: 'creator',
  ProductPhotographed: 'photographer',
}

/**
 * Scores recounted straight from a log, without the reducer: per product, the first
 * create and the first image name the roles, and each later purchase credits them.
 */
export const recountScores = (log: ReadonlyArray<ProductEvent>): Map<string, Tally> => {
  const holders = new Map<string, Map<Role, string>>()
  const tallies = new Map<string, Tally>()
  const credit = (role: Role, userId: string, tally: Tally) => {
    const key = scoreKey({ userId, role })
    const seen = tallies.get(key) ?? { score: 0, products: 0 }
    tallies.set(key, { score: seen.score + tally.score, products: seen.products + tally.products })
  }
  const rolesOf = (productId: string): Map<Role, string> => {
    const roles = holders.get(productId) ?? new Map<Role, string>()
    holders.set(productId, roles)
    return roles
  }
  for (const event of log) {
    const roles = rolesOf(event.productId)
    const role = ROLE_OF_EVENT[event.type]
    if (role !== undefined && !roles.has(role)) {
      roles.set(role, event.userId)
      credit(role, event.userId, { score: 0, products: 1 })
    }
    const earners = event.type === 'ProductPurchased' ? [...roles] : []
    for (const [held, userId] of earners) credit(held, userId, { score: 1, products: 0 })
  }
  return tallies
}
