import { tableNamesFor } from '../src/adapters/tables'
import { consume } from '../src/local/consume'
import type { LocalService } from '../src/local/dynamodbLocal'
import { LOCAL_AWS } from '../src/local/dynamodbLocal'
import { createStream, makeKinesisClient, putRecords, startKinesalite } from '../src/local/kinesis'
import { type LocalArchive, openStack, type Stack } from '../src/local/localStack'
import { rebuild } from '../src/local/rebuild'
import { recordsOfLines } from '../src/local/replayLog'
import { readCategoryView, readView } from '../src/local/viewReader'
import { generateWorkload, seededRandom } from '../src/local/workload'
import { viewTableNamesFor } from '../src/runtime/tables'
import { categorySalesView } from '../src/views/categorySales'
import { dynamoEndpoint } from './support/dynamo'
import { tablesOf } from './support/normalize'
import { oracleCategoryTables, oracleRecordsOfLines, oracleTables } from './support/oracle'
import { publishResharding, sleep, trimmedBefore } from './support/retention'

// The whole path on a stream whose early records are gone: the archive kept them, a
// rebuild folds it, then hands over to what the stream still holds. The stream's
// retention is modelled as AWS documents it: TRIM_HORIZON is the oldest record still kept.

jest.setTimeout(300_000)

let kinesalite: LocalService
beforeAll(async () => {
  kinesalite = await startKinesalite()
})
afterAll(() => kinesalite.stop())

const stackFor = async (stage: string) =>
  (await openStack({
    stage,
    kinesisEndpoint: kinesalite.endpoint,
    dynamodbEndpoint: dynamoEndpoint(),
  })) as Stack & {
    readonly archive: LocalArchive
  }

const expectOracle = async (stack: Stack, stage: string, lines: string[]) => {
  const records = oracleRecordsOfLines(lines)
  expect(tablesOf(await readView(stack.dynamo, tableNamesFor(stage)))).toEqual(
    oracleTables(records),
  )
  const category = await readCategoryView(stack.dynamo, viewTableNamesFor(categorySalesView, stage))
  expect(category.categorySales).toEqual(oracleCategoryTables(records).categorySales)
}

describe('a rebuild from the archive', () => {
  it('folds a stream whose early records are gone, resharded while archived, into the tables of the whole log', async () => {
    const lines = generateWorkload({ events: 1200, seed: 23, edgeCases: true }).map((r) => r.data)
    await createStream(
      makeKinesisClient({ ...LOCAL_AWS, endpoint: kinesalite.endpoint }),
      'archived',
      2,
    )
    await publishResharding(kinesalite.endpoint, 'archived', lines.slice(0, 800), 400)
    const first = await stackFor('arch1')
    await consume(first, { streamName: 'archived', batchSize: 100 }) // the archive reads it too
    await sleep(50)
    const cutoff = Date.now() // what arrived before is gone from the stream
    await sleep(50)
    const client = makeKinesisClient({ ...LOCAL_AWS, endpoint: kinesalite.endpoint })
    await putRecords(client, 'archived', recordsOfLines(lines.slice(800, 1000).join('\n')))
    await consume(first, { streamName: 'archived', batchSize: 100 }) // archived and still held: the overlap
    await first.stop()
    await putRecords(client, 'archived', recordsOfLines(lines.slice(1000).join('\n')))

    const stack = await stackFor('arch2')
    const result = await rebuild(
      { ...stack, kinesis: trimmedBefore(kinesalite.endpoint, cutoff) },
      { streamName: 'archived', batchSize: 50, faults: { rate: 0.2, random: seededRandom(5) } },
    )
    expect(result.archive['winner-view']?.records).toBeGreaterThanOrEqual(800)
    await expectOracle(stack, 'arch2', lines)
    await stack.stop()
  })
})

describe('a rebuild whose archive trails the stream past what the stream still holds', () => {
  it('refuses to hand over, naming the shard, and folds nothing from the stream', async () => {
    const lines = generateWorkload({ events: 300, seed: 29 }).map((r) => r.data)
    const client = makeKinesisClient({ ...LOCAL_AWS, endpoint: kinesalite.endpoint })
    await createStream(client, 'lagging', 1)
    await putRecords(client, 'lagging', recordsOfLines(lines.slice(0, 100).join('\n')))
    const first = await stackFor('lag1')
    await consume(first, { streamName: 'lagging', batchSize: 100 })
    await first.stop()
    // The archive has stopped: these arrive, then age out of the stream unarchived.
    await putRecords(client, 'lagging', recordsOfLines(lines.slice(100, 200).join('\n')))
    await sleep(50)
    const cutoff = Date.now()
    await sleep(50)
    await putRecords(client, 'lagging', recordsOfLines(lines.slice(200).join('\n')))

    const stack = await stackFor('lag2')
    await expect(
      rebuild(
        { ...stack, kinesis: trimmedBefore(kinesalite.endpoint, cutoff) },
        { streamName: 'lagging', batchSize: 50 },
      ),
    ).rejects.toThrow(
      /^the stream no longer holds what follows the archive on shardId-000000000000 \(archived to \d+, the stream starts at \d+\): handing over would skip records$/,
    )
    const read = await readView(stack.dynamo, tableNamesFor('lag2'))
    expect(tablesOf(read)).toEqual(oracleTables(oracleRecordsOfLines(lines.slice(0, 100))))
    await stack.stop()
  })
})
