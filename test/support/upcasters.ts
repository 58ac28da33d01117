import { CREATE_SCHEMA, PURCHASE_SCHEMA } from '../../src/domain/events'
import type { EventData, Upcaster, Upcasters } from '../../src/domain/upcasters'

/**
 * Versions the producers never wrote, for the tests of the upcasters' rule: a purchase
 * 0-9-0 that named the product `productId`, and a create that went 0-8-0 (`title`, no
 * category) to 0-9-0 (`title` and `category`) before 1-0-0 (`name`).
 */
export const OLD_PURCHASE = 'com.nordstrom/product/purchase/0-9-0'
export const OLDEST_CREATE = 'com.nordstrom/product/create/0-8-0'
export const OLD_CREATE = 'com.nordstrom/product/create/0-9-0'

export const testUpcasters: Upcasters = new Map<string, Upcaster>([
  [OLD_PURCHASE, (d: EventData) => ({ schema: PURCHASE_SCHEMA, id: d.productId })],
  [OLDEST_CREATE, (d: EventData) => ({ ...d, schema: OLD_CREATE, category: '' })],
  [OLD_CREATE, ({ title, ...d }: EventData) => ({ ...d, schema: CREATE_SCHEMA, name: title })],
])

/** The old form of a current purchase or create, as its producer would have written it (the upcasters' inverse). */
export const olderFormOf = (data: EventData, version: 'old' | 'oldest'): EventData => {
  if (data.schema === PURCHASE_SCHEMA) return { schema: OLD_PURCHASE, productId: data.id }
  if (data.schema !== CREATE_SCHEMA) return data
  const { name, category, ...rest } = data
  return version === 'old' || category !== ''
    ? { ...rest, schema: OLD_CREATE, title: name, category }
    : { ...rest, schema: OLDEST_CREATE, title: name }
}
