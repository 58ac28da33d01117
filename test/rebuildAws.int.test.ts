import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb'
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { tableNamesFor } from '../src/adapters/tables'
import { compareSequenceNumbers } from '../src/domain/position'
import { type DeployedRebuildOptions, rebuildDeployed } from '../src/local/awsRebuild'
import { consume } from '../src/local/consume'
import type { LocalService } from '../src/local/dynamodbLocal'
import { LOCAL_AWS } from '../src/local/dynamodbLocal'
import { createStream, makeKinesisClient, putRecords, startKinesalite } from '../src/local/kinesis'
import { type LocalArchive, openStack, type Stack } from '../src/local/localStack'
import type { Mappings } from '../src/local/mappings'
import { recordsOfLines } from '../src/local/replayLog'
import { readCategoryView, readMarks, readView } from '../src/local/viewReader'
import { generateWorkload, seededRandom } from '../src/local/workload'
import { archivePrefixes } from '../src/runtime/archive'
import { type ArchiveSource, archivedRecordCount, shardRecords } from '../src/runtime/archiveReader'
import { streamArchiveId } from '../src/runtime/kinesisShards'
import { MARKS_ROLE } from '../src/runtime/marks'
import { viewTableNamesFor } from '../src/runtime/tables'
import { categorySalesView } from '../src/views/categorySales'
import { winnerView } from '../src/views/winner'
import { dynamoEndpoint } from './support/dynamo'
import { tablesOf } from './support/normalize'
import { oracleCategoryTables, oracleRecordsOfLines, oracleTables } from './support/oracle'
import { publishResharding, sleep, trimmedBefore } from './support/retention'

// `rebuild --aws` on the emulators: the archive is the folder (it passes the S3 adapter's
// contract, test/archiveStores.unit.test.ts), the version's tables are on DynamoDB Local,
// the stream is kinesalite with its early records gone. There is no Lambda emulator: the
// mappings are a double that keeps each one's state, and once one is enabled the test
// plays Lambda's documented part: a mapping created at TRIM_HORIZON reads each shard
// from the oldest record the stream still holds (AWS-LIMITS.md, "Kinesis reads"), under
// the local poller, which behaves as the event source mapping does.

jest.setTimeout(300_000)

let kinesalite: LocalService
beforeAll(async () => {
  kinesalite = await startKinesalite()
})
afterAll(() => kinesalite.stop())

const client = () => makeKinesisClient({ ...LOCAL_AWS, endpoint: kinesalite.endpoint })

const stackFor = async (stage: string, version?: number) =>
  (await openStack({
    stage,
    ...(version === undefined ? {} : { version }),
    kinesisEndpoint: kinesalite.endpoint,
    dynamodbEndpoint: dynamoEndpoint(),
  })) as Stack & { readonly archive: LocalArchive }

/**
 * The version's mappings as Lambda keeps them: one a function, by its name, each with its
 * state and when that last changed.
 */
const lambdaDouble = (states: Record<string, string>) => {
  const state = new Map(Object.entries(states))
  const modified = new Map<string, number>()
  const set = (uuid: string, to: string) => {
    state.set(uuid, to)
    modified.set(uuid, (modified.get(uuid) ?? 0) + 1)
  }
  const enabled: string[] = []
  const mappings: Mappings = {
    find: async (functionName) => {
      const found = state.get(functionName)
      const lastModified = `change ${modified.get(functionName) ?? 0}`
      return found === undefined ? [] : [{ uuid: functionName, state: found, lastModified }]
    },
    enable: async (uuids) => {
      for (const uuid of uuids) set(uuid, 'Enabled')
      enabled.push(...uuids)
    },
  }
  return { mappings, enabled, set }
}

const disabled = (stage: string) => ({
  [`winner-view-${stage}-winner`]: 'Disabled',
  [`winner-view-${stage}-categorySales`]: 'Disabled',
})

/** Lambda's part once the mappings are enabled: each view reads the stream from TRIM_HORIZON. */
const mappingsRead = async (version: Stack, options: Pick<DeployedRebuildOptions, 'faults'>) => {
  const { archive: _, ...views } = version
  await consume(views, { streamName: 'deployed', batchSize: 100, ...options })
}

const expectOracle = async (stack: Stack, lines: string[]) => {
  const records = oracleRecordsOfLines(lines)
  expect(tablesOf(await readView(stack.dynamo, tableNamesFor(stack.tablesStage)))).toEqual(
    oracleTables(records),
  )
  const category = await readCategoryView(
    stack.dynamo,
    viewTableNamesFor(categorySalesView, stack.tablesStage),
  )
  expect(category.categorySales).toEqual(oracleCategoryTables(records).categorySales)
}

/** Version 2 of a stage of its own, the stream as AWS would now give it, its mappings disabled. */
const deployedVersion = async (stage: string) => {
  const version = await stackFor(stage, 2)
  const kinesis = trimmedBefore(kinesalite.endpoint, cutoff)
  return { version, kinesis, lambda: lambdaDouble(disabled(`${stage}-v2`)) }
}

/** What every rebuild here is given: the stream, its archive, the version's mappings. */
const rebuildOptions = (
  version: { readonly archive: LocalArchive },
  lambda: { readonly mappings: Mappings },
) => ({
  streamName: 'deployed',
  batchSize: 100,
  source: version.archive,
  mappings: lambda.mappings,
})

/** The mappings enabled read the stream; both views then equal the oracle of the whole log. */
const expectHandedOver = async (
  { version, kinesis, lambda }: Awaited<ReturnType<typeof deployedVersion>>,
  options: Pick<DeployedRebuildOptions, 'faults'> = {},
) => {
  expect(lambda.enabled).toHaveLength(2)
  await mappingsRead({ ...version, kinesis }, options)
  await expectOracle(version, lines)
  await version.stop()
}

const lines = generateWorkload({ events: 600, seed: 37, edgeCases: true }).map((r) => r.data)
let cutoff = 0

/**
 * The stream `deployed`, resharded while archived; what arrived before `cutoff` is gone
 * from it, the archive (fed by stage depA's version 1) holds the first 500 records.
 */
beforeAll(async () => {
  await createStream(client(), 'deployed', 2)
  await publishResharding(kinesalite.endpoint, 'deployed', lines.slice(0, 400), 200)
  const live = await stackFor('depA')
  await consume(live, { streamName: 'deployed', batchSize: 100 }) // the archive reads it too
  await sleep(50)
  cutoff = Date.now()
  await sleep(50)
  await putRecords(client(), 'deployed', recordsOfLines(lines.slice(400, 500).join('\n')))
  await consume(live, { streamName: 'deployed', batchSize: 100 }) // archived and still held: the overlap
  await live.stop()
  await putRecords(client(), 'deployed', recordsOfLines(lines.slice(500).join('\n')))
})

describe('a rebuild of a deployed version', () => {
  it('folds the archive into it, resumes from its marks after an interruption, enables its mappings, and their reads from TRIM_HORIZON end at the oracle', async () => {
    const deployed = await deployedVersion('depA')
    const { version, kinesis, lambda } = deployed
    const faults = { rate: 0.2, random: seededRandom(7) }
    const options = {
      streamName: 'deployed',
      batchSize: 50,
      source: version.archive,
      mappings: lambda.mappings,
    }
    const archived = await archivedRecordCount(
      version.archive,
      await streamArchiveId(client(), 'deployed'),
    )
    expect(archived).toBe(500)

    // Faults after the interruption only: a crash injected after a commit counts its batch
    // when it comes again, which an interruption may leave to the resume.
    const abort = new AbortController()
    let before = 0
    const onProgress = (n: number) => {
      before += n
      if (before >= 150) abort.abort()
    }
    await expect(
      rebuildDeployed({ ...version, kinesis }, { ...options, onProgress, signal: abort.signal }),
    ).rejects.toThrow('interrupted: run the same rebuild again to go on from there')
    expect(lambda.enabled).toEqual([])

    let announced: { readonly uuids: ReadonlyArray<string>; readonly enabledThen: string[] } = {
      uuids: [],
      enabledThen: ['never told'],
    }
    const resumed = await rebuildDeployed(
      { ...version, kinesis },
      {
        ...options,
        faults,
        onEnabling: (uuids) => (announced = { uuids, enabledThen: [...lambda.enabled] }),
      },
    )
    // It went on from where its marks stood, which cover every batch counted before the
    // interruption: each record is counted once across the two runs.
    const after = resumed.archive['winner-view']?.records ?? 0
    expect(before + after).toBe(archived)
    expect(resumed.passes).toBe(1)
    const functions = ['winner-view-depA-v2-winner', 'winner-view-depA-v2-categorySales']
    expect(resumed.enabled).toEqual(functions)
    expect(lambda.enabled).toEqual(functions)
    // Told before any was enabled: the operator knows the hand-over was decided.
    expect(announced).toEqual({ uuids: functions, enabledThen: [] })

    await expectHandedOver(deployed, { faults })
  })

  it('refuses a version whose mapping is enabled or missing, naming each, and folds nothing', async () => {
    const version = await stackFor('depB', 2)
    const lambda = lambdaDouble({ 'winner-view-depB-v2-winner': 'Enabled' })
    await expect(
      rebuildDeployed(version, {
        streamName: 'deployed',
        batchSize: 50,
        source: version.archive,
        mappings: lambda.mappings,
      }),
    ).rejects.toThrow(
      'version 2 of stage depB: winner-view-depB-v2-winner reads the stream already (its mapping winner-view-depB-v2-winner is Enabled); winner-view-depB-v2-categorySales has no mapping on the stream. Deploy it with its mappings disabled (npx osls deploy --stage depB-v2 --param="disabledMapping=winner,categorySales" --param="withoutMapping=archive") before anything reads the stream, or rebuild into a new version; if a rebuild of it said it was enabling them, enable the rest (aws lambda update-event-source-mapping --uuid UUID --enabled)',
    )
    expect(tablesOf(await readView(version.dynamo, tableNamesFor('depB-v2')))).toEqual(
      oracleTables([]),
    )
    expect(lambda.enabled).toEqual([])
    await version.stop()
  })

  it('refuses a version that folded the stream before, after its early records had gone', async () => {
    const version = await stackFor('depC', 2)
    const kinesis = trimmedBefore(kinesalite.endpoint, cutoff)
    // Its mappings were enabled once, read what the stream held, then were disabled.
    await mappingsRead({ ...version, kinesis }, {})
    const lambda = lambdaDouble(disabled('depC-v2'))
    await expect(
      rebuildDeployed(
        { ...version, kinesis },
        {
          streamName: 'deployed',
          batchSize: 50,
          source: version.archive,
          mappings: lambda.mappings,
        },
      ),
    ).rejects.toThrow(
      /^version 2 of stage depC has folded the stream before: winner-view began shardId-\d+ at \d+, after the archive's first record \d+; .*category-sales began .* Rebuild into a new version$/,
    )
    expect(lambda.enabled).toEqual([])
    await version.stop()
  })

  it('refuses to hand over when the stream no longer holds what follows the archive, enabling nothing', async () => {
    const version = await stackFor('depD', 2)
    const lambda = lambdaDouble(disabled('depD-v2'))
    // Everything before now is gone, though the archive ends 100 records earlier.
    const kinesis = trimmedBefore(kinesalite.endpoint, Date.now() + 60_000)
    await expect(
      rebuildDeployed(
        { ...version, kinesis },
        {
          ...rebuildOptions(version, lambda),
        },
      ),
    ).rejects.toThrow(
      /^the stream no longer holds what follows the archive on shardId-\d+ \(archived to \d+, the stream holds none of it\)/,
    )
    expect(lambda.enabled).toEqual([])
    // The archive's part stands: the first 500 records, folded once (the deployed totals
    // functions would move Scores from there; nothing here does).
    const read = tablesOf(await readView(version.dynamo, tableNamesFor('depD-v2')))
    const archivedPart = oracleTables(oracleRecordsOfLines(lines.slice(0, 500)))
    expect(read.contributions).toEqual(archivedPart.contributions)
    expect(read.rejected).toBe(archivedPart.rejected)
    await version.stop()
  })

  it('folds a batch again when its mark cannot be stored, so that a resume goes on exactly', async () => {
    const deployed = await deployedVersion('depE')
    const { version, kinesis, lambda } = deployed
    const place = version.views[winnerView.name]
    if (place === undefined) throw new Error('no winner view')
    const marksTable = place.names[MARKS_ROLE]
    // One mark write throttled, the shard's first: the batch comes again.
    let throttled = 0
    const send = place.dynamo.send.bind(place.dynamo)
    const dynamo = Object.create(place.dynamo) as typeof place.dynamo
    dynamo.send = ((command: { readonly input: { readonly TableName?: string } }) => {
      if (
        throttled === 0 &&
        command instanceof UpdateCommand &&
        command.input.TableName === marksTable
      ) {
        throttled += 1
        return Promise.reject(
          new ProvisionedThroughputExceededException({ message: 'injected', $metadata: {} }),
        )
      }
      return send(command as never)
    }) as typeof place.dynamo.send
    const flaky = {
      ...version,
      kinesis,
      views: { ...version.views, [winnerView.name]: { ...place, dynamo } },
    }
    const abort = new AbortController()
    let folded = 0
    const options = {
      streamName: 'deployed',
      batchSize: 50,
      source: version.archive,
      mappings: lambda.mappings,
    }
    await expect(
      rebuildDeployed(flaky, {
        ...options,
        signal: abort.signal,
        // Stopped as soon as a batch is done: the throttled one, which must not pass unmarked.
        onProgress: (n) => {
          folded += n
          abort.abort()
        },
      }),
    ).rejects.toThrow('interrupted')
    expect(throttled).toBe(1)
    // What the marks cover is what the replay counted as folded, no batch less.
    const marks = await readMarks(place.dynamo, marksTable ?? '')
    const archiveId = await streamArchiveId(client(), 'deployed')
    let covered = 0
    for (const { shardId, sequenceNumber } of marks)
      for await (const batch of shardRecords(version.archive, archiveId, shardId))
        covered += batch.filter(
          (r) => compareSequenceNumbers(r.sequenceNumber, sequenceNumber) <= 0,
        ).length
    expect(folded).toBeGreaterThan(0)
    expect(covered).toBe(folded)
    await rebuildDeployed({ ...version, kinesis }, options)
    await expectHandedOver(deployed)
  })

  it('reads the archive again while it grows: children listed after a pass began are folded in another pass', async () => {
    const deployed = await deployedVersion('depF')
    const { version, kinesis, lambda } = deployed
    const archiveId = await streamArchiveId(client(), 'deployed')
    // The reshard's children are archived only after the first pass has listed the shards
    // (the first three listings: before the replay, and each view's in its first pass).
    let listings = 0
    const isChild = async (key: string) =>
      JSON.parse(Buffer.from(await version.archive.get(key)).toString()).parentShardId !== undefined
    const growing: ArchiveSource = {
      get: (key) => version.archive.get(key),
      list: async function* (prefix) {
        const early = prefix === archivePrefixes(archiveId).shards && ++listings <= 3
        for await (const key of version.archive.list(prefix)) {
          if (!early || !(await isChild(key))) yield key
        }
      },
    }
    const result = await rebuildDeployed(
      { ...version, kinesis },
      { streamName: 'deployed', batchSize: 100, source: growing, mappings: lambda.mappings },
    )
    expect(listings).toBeGreaterThan(3)
    expect(result.passes).toBe(2)
    await expectHandedOver(deployed)
  })

  it('refuses to hand over when what follows the archive leaves the stream within the margin', async () => {
    const { version, kinesis, lambda } = await deployedVersion('depG')
    // 5 minutes before the stream's 24 hours run out for the records after the archive's end.
    const later = Date.now() + 24 * 3_600_000 - 5 * 60_000
    await expect(
      rebuildDeployed(
        { ...version, kinesis },
        {
          ...rebuildOptions(version, lambda),
          now: () => later,
        },
      ),
    ).rejects.toThrow(
      /^the stream lets go of what follows the archive within 15 minutes on shardId-\d+ \(the record after \d+ arrived [0-9T:.-]+Z\).*: run the same rebuild again, which goes on from the marks to where the archive has got since$/,
    )
    expect(lambda.enabled).toEqual([])
    await version.stop()
  })

  it.each([
    [
      'enabled',
      ['Enabled'],
      'reads the stream already (its mapping winner-view-depH-v2-categorySales is Enabled)',
    ],
    [
      'enabled, then disabled again',
      ['Enabled', 'Disabled'],
      'the mappings winner-view-depH-v2-categorySales (last modified change 2) changed during the rebuild and may have read the stream meanwhile: rebuild into a new version',
    ],
  ])(
    'refuses to enable the mappings when one was %s by hand during the replay, enabling none',
    async (_, states, message) => {
      const { version, kinesis, lambda } = await deployedVersion(`depH${states.length}`)
      const name = `winner-view-depH${states.length}-v2-categorySales`
      let folded = 0
      await expect(
        rebuildDeployed(
          { ...version, kinesis },
          {
            ...rebuildOptions(version, lambda),
            onProgress: (n) => {
              folded += n
              // Someone changes it by hand, in the console, once.
              if (folded >= 150 && folded - n < 150) for (const to of states) lambda.set(name, to)
            },
          },
        ),
      ).rejects.toThrow(message.replaceAll('depH-', `depH${states.length}-`))
      expect(lambda.enabled).toEqual([])
      await version.stop()
    },
  )

  it('reads the archive again after a pass that took over a minute, until one folds at most a batch a shard', async () => {
    const deployed = await deployedVersion('depJ')
    const { version, kinesis, lambda } = deployed
    // Every look at the clock a minute and a second later: each pass is slow.
    let clock = Date.now()
    const result = await rebuildDeployed(
      { ...version, kinesis },
      { ...rebuildOptions(version, lambda), now: () => (clock += 61_000) },
    )
    // The first folded the whole archive; the second, nothing: settled however slow.
    expect(result.passes).toBe(2)
    expect(result.archive[winnerView.name]?.records).toBe(500)
    await expectHandedOver(deployed)
  })

  it('refuses a version that holds items but has marked nothing (its marks lost or never kept)', async () => {
    const { version, lambda } = await deployedVersion('depK')
    await version.dynamo.send(
      new PutCommand({
        TableName: tableNamesFor('depK-v2').contributions,
        Item: { [winnerView.tables.state.keyAttribute]: 'p-folded-before' },
      }),
    )
    await expect(rebuildDeployed(version, rebuildOptions(version, lambda))).rejects.toThrow(
      'version 2 of stage depK has folded the stream before: winner-view holds items in winner-view-depK-v2-Contributions but has marked nothing. Rebuild into a new version',
    )
    expect(lambda.enabled).toEqual([])
    await version.stop()
  })
})
