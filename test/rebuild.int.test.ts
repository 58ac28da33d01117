import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis'
import { tableNamesFor } from '../src/adapters/tables'
import { consume } from '../src/local/consume'
import type { LocalService } from '../src/local/dynamodbLocal'
import { LOCAL_AWS } from '../src/local/dynamodbLocal'
import {
  createStream,
  listShards,
  makeKinesisClient,
  putRecords,
  splitShardInHalf,
  startKinesalite,
} from '../src/local/kinesis'
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

/**
 * A Kinesis client on which the stream no longer holds the records that arrived before
 * `cutoff` (ms), as after its retention (kinesalite keeps 24 hours at least): TRIM_HORIZON
 * is the oldest record still kept (AWS-LIMITS.md, "Kinesis reads"), so a read from it, or
 * from a position before the cutoff, gives the oldest kept record first.
 */
const trimmedBefore = (cutoff: number): KinesisClient => {
  const client = makeKinesisClient({ ...LOCAL_AWS, endpoint: kinesalite.endpoint })
  const send = client.send.bind(client) as (command: unknown) => Promise<GetRecordsCommandOutput>
  const kept = (page: GetRecordsCommandOutput) =>
    (page.Records ?? []).filter((r) => (r.ApproximateArrivalTimestamp?.getTime() ?? 0) >= cutoff)
  client.send = (async (command: unknown) => {
    if (!(command instanceof GetRecordsCommand)) return send(command)
    let page = await send(command)
    // Pages wholly before the cutoff are gone: read past them, as the stream has nothing there.
    while (
      (page.Records ?? []).length > 0 &&
      kept(page).length === 0 &&
      page.NextShardIterator !== undefined
    ) {
      page = await send(
        new GetRecordsCommand({ ...command.input, ShardIterator: page.NextShardIterator }),
      )
    }
    return { ...page, Records: kept(page) }
  }) as KinesisClient['send']
  return client
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Publishes lines as records, resharding the first shard after `reshardAfter` of them. */
const publish = async (streamName: string, lines: string[], reshardAfter: number) => {
  const client = makeKinesisClient({ ...LOCAL_AWS, endpoint: kinesalite.endpoint })
  const records = recordsOfLines(lines.join('\n'))
  await putRecords(client, streamName, records.slice(0, reshardAfter))
  const [parent] = await listShards(client, streamName)
  if (parent !== undefined) await splitShardInHalf(client, streamName, parent)
  await putRecords(client, streamName, records.slice(reshardAfter))
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
    await publish('archived', lines.slice(0, 800), 400)
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
      { ...stack, kinesis: trimmedBefore(cutoff) },
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
        { ...stack, kinesis: trimmedBefore(cutoff) },
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
