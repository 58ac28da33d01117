import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis'
import { diffStages } from '../src/cli/diff'
import { program } from '../src/cli/main'
import { consume } from '../src/local/consume'
import { LOCAL_AWS, type LocalService } from '../src/local/dynamodbLocal'
import {
  createStream,
  listShards,
  makeKinesisClient,
  putRecords,
  startKinesalite,
} from '../src/local/kinesis'
import {
  type LocalArchive,
  openStack,
  type Stack,
  type StackOptions,
} from '../src/local/localStack'
import { rebuild } from '../src/local/rebuild'
import { recordsOfLines } from '../src/local/replayLog'
import { applySwitch, planSwitch } from '../src/local/versionSwitch'
import { isSame } from '../src/local/viewDiff'
import { readView } from '../src/local/viewReader'
import { generateWorkload } from '../src/local/workload'
import { readMarks } from '../src/runtime/dynamoMarks'
import { MARKS_ROLE } from '../src/runtime/marks'
import { moveLivePointer, readLivePointer } from '../src/runtime/versions'
import { winnerView } from '../src/views/winner'
import { dynamoEndpoint } from './support/dynamo'
import { tablesOf } from './support/normalize'
import { oracleRecordsOfLines, oracleTables } from './support/oracle'

// Versions of a stage and the switch between them, on kinesalite and DynamoDB Local: a
// rebuild into the next version, a switch refused while it trails, made once it has
// caught up, readers following the pointer, and the switch back.

jest.setTimeout(300_000)

let kinesalite: LocalService
let client: KinesisClient
beforeAll(async () => {
  kinesalite = await startKinesalite()
  client = makeKinesisClient({ ...LOCAL_AWS, endpoint: kinesalite.endpoint })
})
afterAll(async () => {
  client.destroy()
  await kinesalite.stop()
})

const STAGE = 'ver'
const STREAM = 'versioned'
const endpoints = () => ({
  kinesisEndpoint: kinesalite.endpoint,
  dynamodbEndpoint: dynamoEndpoint(),
})
const stackAt = (options: Partial<StackOptions> = {}) =>
  openStack({ stage: STAGE, ...endpoints(), ...options })

/** A shard's last record, read from the stream itself from TRIM_HORIZON. */
const lastRecordOf = async (shardId: string): Promise<KinesisRecord | undefined> => {
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({
      StreamName: STREAM,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  )
  let iterator = ShardIterator
  let last: KinesisRecord | undefined
  while (iterator !== undefined) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }))
    const records = page.Records ?? []
    last = records.at(-1) ?? last
    iterator = records.length === 0 ? undefined : page.NextShardIterator
  }
  return last
}

/** Each shard's last record: what a view that has read the whole stream marks. */
const lastRecords = async (): Promise<Map<string, KinesisRecord>> => {
  const last = new Map<string, KinesisRecord>()
  for (const { ShardId } of await listShards(client, STREAM)) {
    const record = ShardId === undefined ? undefined : await lastRecordOf(ShardId)
    if (ShardId !== undefined && record !== undefined) last.set(ShardId, record)
  }
  return last
}

const marksOf = (stack: Stack) =>
  readMarks(stack.dynamo, stack.views[winnerView.name]?.names[MARKS_ROLE] ?? 'none')

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('versions of a stage', () => {
  const lines = generateWorkload({ events: 400, seed: 31 }).map((r) => r.data)

  it('rebuilds the next version, refuses to switch while it trails, switches once caught up, and back', async () => {
    await createStream(client, STREAM, 2)
    await putRecords(client, STREAM, recordsOfLines(lines.slice(0, 300).join('\n')))
    const v1 = await stackAt()
    expect([v1.version, v1.tablesStage]).toEqual([1, STAGE])
    await consume(v1, { streamName: STREAM, batchSize: 100 })

    // Version 1's marks: each shard's last record, as the stream holds it.
    const held = await lastRecords()
    expect(await marksOf(v1)).toEqual(
      [...held].map(([shardId, r]) => ({
        shardId,
        sequenceNumber: r.SequenceNumber,
        arrivedAtMs: r.ApproximateArrivalTimestamp?.getTime(),
      })),
    )

    const v2 = (await stackAt({ version: 'next' })) as Stack & { readonly archive: LocalArchive }
    expect([v2.version, v2.tablesStage]).toEqual([2, `${STAGE}-v2`])
    await rebuild(v2, { streamName: STREAM, batchSize: 50 })

    // Later records reach version 1 only: version 2 trails on the shards they went to.
    await sleep(20)
    await putRecords(client, STREAM, recordsOfLines(lines.slice(300).join('\n')))
    await consume(v1, { streamName: STREAM, batchSize: 100 })
    const trailing = await planSwitch(v1, 2, 0)
    expect(trailing.from).toBe(1)
    expect(trailing.lagging.map((l) => l.view).sort()).toEqual(['category-sales', 'winner-view'])
    await expect(applySwitch(v1, trailing)).rejects.toThrow(
      /^version 2 of stage ver has not caught up with version 1: winner-view trails on shardId-/,
    )
    expect(await readLivePointer(v1.dynamo, STAGE)).toEqual({ version: 1 })

    // Caught up: nothing trails, the tables are equal, the pointer moves.
    await consume(v2, { streamName: STREAM, batchSize: 100 })
    const caughtUp = await planSwitch(v1, 2, 0)
    expect(caughtUp.lagging).toEqual([])
    expect(caughtUp.unmarked).toEqual([])
    // A version deployed before marks were kept has no marks table: it has marked nothing.
    expect(await readMarks(v1.dynamo, 'winner-view-nosuch-ContributionsMarks')).toEqual([])
    expect(isSame(await diffStages(v1, caughtUp.stages))).toBe(true)
    await applySwitch(v1, caughtUp)
    expect(await readLivePointer(v1.dynamo, STAGE)).toMatchObject({ version: 2, previous: 1 })
    await v1.stop()
    await v2.stop()

    // A reader of the stage now reads version 2's tables: the whole log's fold.
    const reader = await stackAt({ readOnly: true })
    expect(reader.tablesStage).toBe(`${STAGE}-v2`)
    expect(tablesOf(await readView(reader.dynamo, reader.names))).toEqual(
      oracleTables(oracleRecordsOfLines(lines)),
    )
    // A switch that read the pointer before this one moved it cannot move it again.
    await expect(moveLivePointer(reader.dynamo, STAGE, 1, 2)).rejects.toThrow(
      'the live version of stage ver is no longer 1: another switch moved it; run switch again',
    )
    await reader.stop()
  })

  it('switches back with the same command, which says how to undo it', async () => {
    const printed: string[] = []
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => {
      printed.push(line)
    })
    try {
      const cli = ['--stage', STAGE, '--dynamodb-endpoint', dynamoEndpoint()]
      await program().parseAsync(['node', 'winner-view', 'switch', '--to', '1', ...cli])
    } finally {
      log.mockRestore()
    }
    expect(printed.at(-1)).toBe(
      'stage ver: version 1 is live (was 2); back with: winner-view switch --stage ver --to 2',
    )
    const reader = await stackAt({ readOnly: true })
    expect(reader.tablesStage).toBe(STAGE)
    await reader.stop()
  })
})
