import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis'
import { diffStages } from '../src/cli/diff'
import { program } from '../src/cli/main'
import { consume } from '../src/local/consume'
import {
  createTable,
  LOCAL_AWS,
  type LocalService,
  localDynamoClient,
} from '../src/local/dynamodbLocal'
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
import { readMarks, readView } from '../src/local/viewReader'
import { generateWorkload, seededRandom } from '../src/local/workload'
import { putMark } from '../src/runtime/dynamoMarks'
import { documentClientOf } from '../src/runtime/dynamoStore'
import { MARKS_ROLE, marksTable } from '../src/runtime/marks'
import { moveLivePointer, readLivePointer } from '../src/runtime/versions'
import { winnerView } from '../src/views/winner'
import { dynamoEndpoint } from './support/dynamo'
import { tablesOf } from './support/normalize'
import { oracleRecordsOfLines, oracleTables } from './support/oracle'
import { sleep } from './support/retention'

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

/** A shard's first and last records, read from the stream itself from TRIM_HORIZON. */
const endsOf = async (shardId: string) => {
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({
      StreamName: STREAM,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  )
  const read: KinesisRecord[] = []
  let iterator = ShardIterator
  while (iterator !== undefined) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }))
    read.push(...(page.Records ?? []))
    iterator = (page.Records ?? []).length === 0 ? undefined : page.NextShardIterator
  }
  return { first: read[0], last: read.at(-1) }
}

/** Each shard's mark as a view that has read the whole stream stores it, from the stream. */
const wholeStreamMarks = async () => {
  const marks = []
  for (const { ShardId } of await listShards(client, STREAM)) {
    const { first, last } = await endsOf(ShardId ?? '')
    marks.push({
      shardId: ShardId,
      sequenceNumber: last?.SequenceNumber,
      arrivedAtMs: last?.ApproximateArrivalTimestamp?.getTime(),
      firstSequenceNumber: first?.SequenceNumber,
    })
  }
  return marks
}

const marksOf = (stack: Stack) =>
  readMarks(stack.dynamo, stack.views[winnerView.name]?.names[MARKS_ROLE] ?? 'none')

describe('versions of a stage', () => {
  const lines = generateWorkload({ events: 400, seed: 31 }).map((r) => r.data)

  it('rebuilds the next version, refuses to switch while it trails, switches once caught up, and back', async () => {
    await createStream(client, STREAM, 2)
    await putRecords(client, STREAM, recordsOfLines(lines.slice(0, 300).join('\n')))
    const v1 = await stackAt()
    expect([v1.version, v1.tablesStage]).toEqual([1, STAGE])
    await consume(v1, { streamName: STREAM, batchSize: 100 })

    // Version 1's marks: each shard's first and last records, as the stream holds them.
    expect(await marksOf(v1)).toEqual(await wholeStreamMarks())

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
      'stage ver: version 1 is live (was 2); back with: winner-view switch --stage ver --to 2, while version 2 is still fed',
    )
    const reader = await stackAt({ readOnly: true })
    expect(reader.tablesStage).toBe(STAGE)
    await reader.stop()
    // Version 1 live again, a rebuild would go into version 2, which reads the stream
    // already: every record would pass as folded, so it refuses.
    const endpointFlags = [
      '--dynamodb-endpoint',
      dynamoEndpoint(),
      '--kinesis-endpoint',
      kinesalite.endpoint,
    ]
    await expect(
      program().parseAsync([
        'node',
        'winner-view',
        'rebuild',
        '--stream',
        STREAM,
        '--stage',
        STAGE,
        ...endpointFlags,
      ]),
    ).rejects.toThrow(
      'version 2 of stage ver reads versioned already (rebuilt and handed over, or consumed): keep it up with consume --version 2, or rebuild into a new version (--version)',
    )
  })
})

describe('freshness marks at a parallelization factor', () => {
  it('are the poller’s, page by page, and reach each shard’s last record through faults', async () => {
    // The stream of the tests above, read again by another stage, 4 sub-streams a shard.
    const stack = await openStack({ stage: 'verpar', ...endpoints() })
    await consume(stack, {
      streamName: STREAM,
      batchSize: 50,
      parallelizationFactor: 4,
      faults: { rate: 0.3, random: seededRandom(3) },
    })
    expect(await marksOf(stack)).toEqual(await wholeStreamMarks())
    await stack.stop()
  })
})

describe('a freshness mark on DynamoDB', () => {
  it('moves on by number whatever the length, never back, and keeps where its history began', async () => {
    const raw = localDynamoClient(dynamoEndpoint())
    const table = 'winner-view-markstest-ContributionsMarks'
    await createTable(raw, table, marksTable)
    const doc = documentClientOf(raw)
    const put = (sequenceNumber: string, firstSequenceNumber: string) =>
      putMark(doc, table, { shardId: 's', sequenceNumber, arrivedAtMs: 5, firstSequenceNumber }, 7)
    await put('99', '99')
    await put('100', '100') // longer, so later: as text, '100' < '99'
    await put('98', '98') // an older batch ending late: refused
    expect(await readMarks(doc, table)).toEqual([
      { shardId: 's', sequenceNumber: '100', arrivedAtMs: 5, firstSequenceNumber: '99' },
    ])
    await put('1000', '1000')
    expect((await readMarks(doc, table))[0]?.sequenceNumber).toBe('1000')
    raw.destroy()
  })
})
