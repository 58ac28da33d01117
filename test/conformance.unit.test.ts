import * as E from 'fp-ts/Either'
import { type DecodedRecord, decodeEvent } from '../src/domain/events'

// Real event shapes, written from the retail stream's published JSON schemas
// (retail-stream ingress and egress, product/create, product/image, product/purchase)
// and from the example events in the retail system's sources. Each payload is the JSON
// text a producer puts on the stream; each expectation is literal.

const position = {
  shardId: 'shardId-000000000001',
  sequenceNumber: '49571669109051079099161633575187621651768511161306185746',
}

const decode = (json: string) => decodeEvent(JSON.parse(json), position)

const CREATOR =
  'hello-retail/web-client-create-product/amzn1.account.AHMNGKVGNQYJUV7BZZZMFH3HP3KQ/Erik'
const PHOTOGRAPHER = 'product-photos/Photographer/+12065550100/Lauren'

const accepted: ReadonlyArray<[string, string, DecodedRecord]> = [
  [
    'an ingress product create from the web client',
    `{"schema":"com.nordstrom/retail-stream-ingress/1-0-0","origin":"${CREATOR}","timeOrigin":"2017-01-12T18:29:25.171Z","data":{"schema":"com.nordstrom/product/create/1-0-0","id":"4579874","brand":"POLO RALPH LAUREN","name":"Slim Fit Oxford Shirt","description":"Classic oxford cloth.","category":"Men's Shirts"}}`,
    {
      kind: 'event',
      event: {
        type: 'ProductCreated',
        productId: '4579874',
        userId: CREATOR,
        time: '2017-01-12T18:29:25.171Z',
        position,
        brand: 'POLO RALPH LAUREN',
        name: 'Slim Fit Oxford Shirt',
        category: "Men's Shirts",
      },
    },
  ],
  [
    'a product create with empty brand, name, description and category, and a price',
    `{"schema":"com.nordstrom/retail-stream-ingress/1-0-0","origin":"scripts/put-retail-stream-event","timeOrigin":"2017-02-21T23:27:56.673Z","data":{"schema":"com.nordstrom/product/create/1-0-0","id":"9000000","brand":"","name":"","description":"","category":"","price":"19.99"}}`,
    {
      kind: 'event',
      event: {
        type: 'ProductCreated',
        productId: '9000000',
        userId: 'scripts/put-retail-stream-event',
        time: '2017-02-21T23:27:56.673Z',
        position,
        brand: '',
        name: '',
        category: '',
      },
    },
  ],
  [
    'an image as the photographer service writes it: a host and path without a scheme',
    `{"schema":"com.nordstrom/retail-stream-ingress/1-0-0","origin":"${PHOTOGRAPHER}","timeOrigin":"2017-01-12T18:29:25.171Z","data":{"schema":"com.nordstrom/product/image/1-0-0","id":"4579874","image":"erik.hello-retail.biz/i/p/4579874"}}`,
    {
      kind: 'event',
      event: {
        type: 'ProductPhotographed',
        productId: '4579874',
        userId: PHOTOGRAPHER,
        time: '2017-01-12T18:29:25.171Z',
        position,
        image: 'erik.hello-retail.biz/i/p/4579874',
      },
    },
  ],
  [
    'an image that is a bare file name, as the sample script writes it',
    `{"schema":"com.nordstrom/retail-stream-ingress/1-0-0","origin":"scripts/put-retail-stream-event/Lauren.Wang@nordstrom.com/lauren","timeOrigin":"2017-02-21T23:27:56.673Z","data":{"schema":"com.nordstrom/product/image/1-0-0","id":"9000001","image":"PolarBear.jpg"}}`,
    {
      kind: 'event',
      event: {
        type: 'ProductPhotographed',
        productId: '9000001',
        userId: 'scripts/put-retail-stream-event/Lauren.Wang@nordstrom.com/lauren',
        time: '2017-02-21T23:27:56.673Z',
        position,
        image: 'PolarBear.jpg',
      },
    },
  ],
  [
    'an image with a scheme',
    `{"schema":"com.nordstrom/retail-stream-ingress/1-0-0","origin":"${PHOTOGRAPHER}","timeOrigin":"2017-01-12T18:29:25.171Z","data":{"schema":"com.nordstrom/product/image/1-0-0","id":"4579874","image":"https://erik.hello-retail.biz/i/p/4579874"}}`,
    {
      kind: 'event',
      event: {
        type: 'ProductPhotographed',
        productId: '4579874',
        userId: PHOTOGRAPHER,
        time: '2017-01-12T18:29:25.171Z',
        position,
        image: 'https://erik.hello-retail.biz/i/p/4579874',
      },
    },
  ],
  [
    'an egress purchase as the fan-out re-publishes it',
    `{"schema":"com.nordstrom/retail-stream-egress/1-0-0","origin":"hello-retail/web-client-purchase-product/amzn1.account.AHMNGKVGNQYJUV7BZZZMFH3HP3KQ/Erik","timeOrigin":"2017-02-21T23:27:56.673Z","data":{"schema":"com.nordstrom/product/purchase/1-0-0","id":"4579874"},"eventId":"shardId-000000000001:49571669109051079099161633575187621651768511161306185746","timeIngest":"2017-02-21T23:27:57.100Z","timeProcess":"2017-02-21T23:27:57.900Z"}`,
    {
      kind: 'event',
      event: {
        type: 'ProductPurchased',
        productId: '4579874',
        userId:
          'hello-retail/web-client-purchase-product/amzn1.account.AHMNGKVGNQYJUV7BZZZMFH3HP3KQ/Erik',
        time: '2017-02-21T23:27:56.673Z',
        position,
        ingress: {
          shardId: 'shardId-000000000001',
          sequenceNumber: '49571669109051079099161633575187621651768511161306185746',
        },
      },
    },
  ],
  [
    'an egress image with followsFrom',
    `{"schema":"com.nordstrom/retail-stream-egress/1-0-0","origin":"${PHOTOGRAPHER}","timeOrigin":"2017-01-12T18:29:25.171Z","data":{"schema":"com.nordstrom/product/image/1-0-0","id":"4579874","image":"erik.hello-retail.biz/i/p/4579874"},"eventId":"shardId-000000000000:49571669109051079099161633575187621651768511161306185700","timeIngest":"2017-01-12T18:29:25.500Z","timeProcess":"2017-01-12T18:29:26.000Z","followsFrom":"shardId-000000000000:49571669109051079099161633575187621651768511161306185600"}`,
    {
      kind: 'event',
      event: {
        type: 'ProductPhotographed',
        productId: '4579874',
        userId: PHOTOGRAPHER,
        time: '2017-01-12T18:29:25.171Z',
        position,
        ingress: {
          shardId: 'shardId-000000000000',
          sequenceNumber: '49571669109051079099161633575187621651768511161306185700',
        },
        image: 'erik.hello-retail.biz/i/p/4579874',
      },
    },
  ],
  [
    "another view's event: a user login",
    `{"schema":"com.nordstrom/retail-stream-ingress/1-0-0","origin":"hello-retail/web-client-login/amzn1.account.AHMNGKVGNQYJUV7BZZZMFH3HP3KQ/Erik","timeOrigin":"2017-01-12T18:20:00.000Z","data":{"schema":"com.nordstrom/user-info/login/1-0-0","id":"amzn1.account.AHMNGKVGNQYJUV7BZZZMFH3HP3KQ","name":"Erik"}}`,
    { kind: 'foreign', schema: 'com.nordstrom/user-info/login/1-0-0' },
  ],
  [
    "another view's event: a user phone update, in egress form",
    `{"schema":"com.nordstrom/retail-stream-egress/1-0-0","origin":"scripts/user-info-update-phone/amzn1.account.X/Erik","timeOrigin":"2017-02-21T23:27:56.673Z","data":{"schema":"com.nordstrom/user-info/update-phone/1-0-0","id":"amzn1.account.X","phone":"+12065550100"},"eventId":"shardId-000000000002:49571669109051079099161633575187621651768511161306185999","timeIngest":"2017-02-21T23:27:57.000Z","timeProcess":"2017-02-21T23:27:58.000Z"}`,
    { kind: 'foreign', schema: 'com.nordstrom/user-info/update-phone/1-0-0' },
  ],
]

const INGRESS = 'com.nordstrom/retail-stream-ingress/1-0-0'
const EGRESS_FACTS =
  '"eventId":"shardId-000000000001:4957","timeIngest":"2017-01-12T18:29:26.000Z","timeProcess":"2017-01-12T18:29:27.000Z"'
const envelope = (data: string, extra = '') =>
  `{"schema":"${INGRESS}","origin":"${CREATOR}","timeOrigin":"2017-01-12T18:29:25.171Z","data":${data}${extra}}`
const CREATE = '"schema":"com.nordstrom/product/create/1-0-0","id":"p1"'
const CREATE_DETAILS = '"brand":"B","name":"N","description":"D","category":"C"'

// Each rule of the published schemas broken once: a required field missing, a field of
// the wrong type, an additional property; the reason names the field.
const refused: ReadonlyArray<[string, string, string]> = [
  [
    'an ingress envelope without origin',
    `{"schema":"${INGRESS}","timeOrigin":"2017-01-12T18:29:25.171Z","data":{${CREATE},${CREATE_DETAILS}}}`,
    'origin: expected a non-empty string of at most 2,048 bytes, got nothing',
  ],
  [
    'an ingress envelope without timeOrigin',
    `{"schema":"${INGRESS}","origin":"u","data":{${CREATE},${CREATE_DETAILS}}}`,
    'timeOrigin: expected an ISO-8601 time, got nothing',
  ],
  [
    'an ingress envelope without data',
    `{"schema":"${INGRESS}","origin":"u","timeOrigin":"2017-01-12T18:29:25.171Z"}`,
    'data: expected a JSON object, got nothing',
  ],
  [
    'an envelope without schema',
    `{"origin":"u","timeOrigin":"2017-01-12T18:29:25.171Z","data":{${CREATE},${CREATE_DETAILS}}}`,
    `schema: expected "${INGRESS}" or "com.nordstrom/retail-stream-egress/1-0-0", got nothing`,
  ],
  [
    'an ingress envelope with an additional property',
    envelope(`{${CREATE},${CREATE_DETAILS}}`, ',"precursors":[]'),
    'precursors: unexpected property',
  ],
  [
    'an origin that is not a string',
    `{"schema":"${INGRESS}","origin":7,"timeOrigin":"2017-01-12T18:29:25.171Z","data":{${CREATE},${CREATE_DETAILS}}}`,
    'origin: expected a non-empty string of at most 2,048 bytes, got 7',
  ],
  [
    'an egress envelope without eventId',
    `{"schema":"com.nordstrom/retail-stream-egress/1-0-0","origin":"u","timeOrigin":"2017-01-12T18:29:25.171Z","data":{"schema":"com.nordstrom/product/purchase/1-0-0","id":"p1"},"timeIngest":"2017-01-12T18:29:26.000Z","timeProcess":"2017-01-12T18:29:27.000Z"}`,
    'eventId: expected string, got nothing',
  ],
  [
    'an egress envelope with a timeProcess that is not a date-time',
    `{"schema":"com.nordstrom/retail-stream-egress/1-0-0","origin":"u","timeOrigin":"2017-01-12T18:29:25.171Z","data":{"schema":"com.nordstrom/product/purchase/1-0-0","id":"p1"},"eventId":"e","timeIngest":"2017-01-12T18:29:26.000Z","timeProcess":"later"}`,
    'timeProcess: expected an ISO-8601 time, got "later"',
  ],
  [
    'an egress envelope with an additional property',
    `{"schema":"com.nordstrom/retail-stream-egress/1-0-0","origin":"u","timeOrigin":"2017-01-12T18:29:25.171Z","data":{"schema":"com.nordstrom/product/purchase/1-0-0","id":"p1"},${EGRESS_FACTS},"shard":"x"}`,
    'shard: unexpected property',
  ],
  [
    'a create without description',
    envelope(`{${CREATE},"brand":"B","name":"N","category":"C"}`),
    'data.description: expected string, got nothing',
  ],
  [
    'a create without category',
    envelope(`{${CREATE},"brand":"B","name":"N","description":"D"}`),
    'data.category: expected a string of at most 4,096 bytes, got nothing',
  ],
  [
    'a create whose brand is not a string',
    envelope(`{${CREATE},"brand":null,"name":"N","description":"D","category":"C"}`),
    'data.brand: expected a string of at most 4,096 bytes, got null',
  ],
  [
    'a create whose price is a number',
    envelope(`{${CREATE},${CREATE_DETAILS},"price":19.99}`),
    'data.price: expected string, got 19.99',
  ],
  [
    'a create with an additional property',
    envelope(`{${CREATE},${CREATE_DETAILS},"merchant":"m"}`),
    'data.merchant: unexpected property',
  ],
  [
    'an image without image',
    envelope('{"schema":"com.nordstrom/product/image/1-0-0","id":"p1"}'),
    'data.image: expected a string of at most 4,096 bytes, got nothing',
  ],
  [
    'an image whose image is not a string',
    envelope('{"schema":"com.nordstrom/product/image/1-0-0","id":"p1","image":{"url":"x"}}'),
    'data.image: expected a string of at most 4,096 bytes, got an object',
  ],
  [
    'an image with an additional property',
    envelope('{"schema":"com.nordstrom/product/image/1-0-0","id":"p1","image":"x","width":3}'),
    'data.width: unexpected property',
  ],
  [
    'a purchase without id',
    envelope('{"schema":"com.nordstrom/product/purchase/1-0-0"}'),
    'data.id: expected a non-empty string of at most 256 characters, got nothing',
  ],
  [
    'a purchase whose id is a number',
    envelope('{"schema":"com.nordstrom/product/purchase/1-0-0","id":4579874}'),
    'data.id: expected a non-empty string of at most 256 characters, got 4579874',
  ],
  [
    'a purchase with an additional property',
    envelope('{"schema":"com.nordstrom/product/purchase/1-0-0","id":"p1","quantity":2}'),
    'data.quantity: unexpected property',
  ],
  [
    'data without its schema',
    envelope('{"id":"p1"}'),
    'data.schema: expected a string, got nothing',
  ],
]

// Where the view is stricter than the schemas, and why: ids and origins are keys.
const stricter: ReadonlyArray<[string, string, string]> = [
  [
    'an empty product id (a DynamoDB key cannot be empty)',
    envelope('{"schema":"com.nordstrom/product/purchase/1-0-0","id":""}'),
    'data.id: expected a non-empty string of at most 256 characters, got ""',
  ],
  [
    "a product id over 256 characters (it is the record's Kinesis partition key)",
    envelope(`{"schema":"com.nordstrom/product/purchase/1-0-0","id":"${'p'.repeat(257)}"}`),
    'data.id: expected a non-empty string of at most 256 characters, got 257 characters',
  ],
  [
    'an empty origin (the user is a Scores key)',
    `{"schema":"${INGRESS}","origin":"","timeOrigin":"2017-01-12T18:29:25.171Z","data":{"schema":"com.nordstrom/product/purchase/1-0-0","id":"p1"}}`,
    'origin: expected a non-empty string of at most 2,048 bytes, got ""',
  ],
  [
    'an image over 4 KiB (bounded like the details a product item keeps)',
    envelope(
      `{"schema":"com.nordstrom/product/image/1-0-0","id":"p1","image":"${'i'.repeat(4097)}"}`,
    ),
    'data.image: expected a string of at most 4,096 bytes, got 4,097 bytes',
  ],
  [
    'a category with a lone surrogate (DynamoDB cannot keep it)',
    envelope(`{${CREATE},"brand":"B","name":"N","description":"D","category":"C\\ud800"}`),
    'data.category: expected well-formed Unicode, got a lone surrogate',
  ],
]

describe('conformance with the retail stream', () => {
  it.each(accepted)('decodes %s', (_, json, expected) => {
    expect(decode(json)).toEqual(E.right(expected))
  })

  it.each(refused)('rejects %s, naming the field', (_, json, reason) => {
    expect(decode(json)).toEqual(E.left(reason))
  })

  it.each(stricter)('is stricter than the schema for %s', (_, json, reason) => {
    expect(decode(json)).toEqual(E.left(reason))
  })
})
