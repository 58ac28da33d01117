import { fnv1a } from './hash'
import type { ProductState } from './product'

export type Role = 'creator' | 'photographer'
export const ROLES: ReadonlyArray<Role> = ['creator', 'photographer']

/** What one fold adds to a user's entry in Scores: sales earned and products newly held. */
export interface ScoreDelta {
  readonly userId: string
  readonly role: Role
  readonly score: number
  readonly products: number
}

const roleDelta = (before: ProductState, after: ProductState, role: Role): ScoreDelta[] => {
  const userId = after[role]
  if (userId === undefined) return []
  const scoreOf = (state: ProductState): number =>
    role === 'creator' ? state.creatorScore : state.photographerScore
  const score = scoreOf(after) - scoreOf(before)
  const products = before[role] === undefined ? 1 : 0
  return score === 0 && products === 0 ? [] : [{ userId, role, score, products }]
}

/** What a fold from `before` to `after` changed in Scores, per role. */
export const scoreDeltas = (before: ProductState, after: ProductState): ScoreDelta[] =>
  ROLES.flatMap((role) => roleDelta(before, after, role))

/** A key that names one Scores item. */
export const scoreKey = (delta: Pick<ScoreDelta, 'userId' | 'role'>): string =>
  `${delta.role}\u0000${delta.userId}`

/** Sums deltas per (userId, role); ADD commutes, so order does not matter. */
export const mergeDeltas = (deltas: ReadonlyArray<ScoreDelta>): ScoreDelta[] => {
  const merged = new Map<string, ScoreDelta>()
  for (const delta of deltas) {
    const key = scoreKey(delta)
    const seen = merged.get(key)
    merged.set(
      key,
      seen === undefined
        ? delta
        : { ...seen, score: seen.score + delta.score, products: seen.products + delta.products },
    )
  }
  return [...merged.values()]
}

/**
 * How many index partitions a role's leaderboard is spread over. A role as the index's
 * partition key would put every score change of a role into one partition, and a
 * throttled index throttles every shard's transactions; `role#k` spreads them over N.
 * Changing N moves every user: rewrite the attribute on all Scores items first.
 */
export const LEADERBOARD_PARTITIONS = 8

/** The leaderboard partition of a user's score in a role: `role#k`, k from the user id. */
export const leaderboardKeyOf = (role: Role, userId: string): string =>
  `${role}#${fnv1a(userId) % LEADERBOARD_PARTITIONS}`

/** Every leaderboard partition of a role: the top of a role is the top of their merge. */
export const leaderboardKeysOf = (role: Role): string[] =>
  Array.from({ length: LEADERBOARD_PARTITIONS }, (_, k) => `${role}#${k}`)
