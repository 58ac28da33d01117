import type { ProductCreated, ProductPhotographed, ProductPurchased } from '../../src/domain/events'
import { sequenceNumber } from './fixtures'

/** Small factories of decoded events for reducer tests; `n` is the position in the shard. */
const facts = (productId: string, userId: string, n: number, shardId = 'shardId-000000000000') => ({
  productId,
  userId,
  time: new Date(Date.UTC(2026, 10, 26, 10, 0, n)).toISOString(),
  position: { shardId, sequenceNumber: sequenceNumber(n) },
})

export const created = (productId: string, userId: string, n: number): ProductCreated => ({
  type: 'ProductCreated',
  ...facts(productId, userId, n),
  brand: 'Nordstrom',
  name: `Product ${productId}`,
  category: 'Shoes',
})
export const photographed = (
  productId: string,
  userId: string,
  n: number,
): ProductPhotographed => ({
  type: 'ProductPhotographed',
  ...facts(productId, userId, n),
  image: `erik.hello-retail.biz/i/p/${productId}`,
})
export const purchased = (productId: string, n: number, shardId?: string): ProductPurchased => ({
  type: 'ProductPurchased',
  ...facts(productId, 'buyer', n, shardId),
})
