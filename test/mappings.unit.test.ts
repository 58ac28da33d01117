import {
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda'
import { lambdaMappings, readsStream } from '../src/local/mappings'
import { functionKeyOf, functionNameOf } from '../src/runtime/deployment'

// There is no Lambda emulator: the adapter is tested against scripted answers of a real
// LambdaClient, in the shapes Lambda's API reference gives (ListEventSourceMappings pages
// by Marker and NextMarker; UpdateEventSourceMapping answers Enabling, and the mapping is
// Enabled later).

const STREAM = 'arn:aws:kinesis:eu-west-1:123456789012:stream/retail'

/** A Lambda client that answers from a script and keeps the commands it was sent. */
const scriptedLambda = (answers: ReadonlyArray<unknown>) => {
  const sent: Array<{ readonly command: object; readonly input: object }> = []
  const queue = [...answers]
  // A real client (the paginator checks its class) whose sending is the script.
  const client = new LambdaClient({ region: 'eu-west-1' })
  client.send = (async (command: { readonly input: object }) => {
    sent.push({ command, input: { ...command.input } })
    const answer = queue.shift()
    if (answer instanceof Error) throw answer
    return answer
  }) as LambdaClient['send']
  return { client, sent }
}

describe('a view’s deployed function', () => {
  it('is named by its key in serverless.yml, under the stage; a view without one fails by name', () => {
    expect(functionNameOf('prod-v2', functionKeyOf('winner-view'))).toBe(
      'winner-view-prod-v2-winner',
    )
    expect(functionNameOf('prod', functionKeyOf('category-sales'))).toBe(
      'winner-view-prod-categorySales',
    )
    expect(() => functionKeyOf('returns')).toThrow(
      new Error('the view returns has no function in serverless.yml'),
    )
  })
})

describe('which mapping reads the stream', () => {
  it('is the one on the stream itself or on a consumer of it, not another stream’s', () => {
    expect(readsStream(STREAM, STREAM)).toBe(true)
    expect(readsStream(`${STREAM}/consumer/winner-view-prod-winner:1700000000`, STREAM)).toBe(true)
    expect(readsStream(`${STREAM}-2`, STREAM)).toBe(false)
    expect(readsStream(`${STREAM}-2/consumer/c:1`, STREAM)).toBe(false)
    expect(readsStream(undefined, STREAM)).toBe(false)
  })
})

describe('the deployed mappings', () => {
  it('finds the function’s mapping on the stream across pages, past another stream’s', async () => {
    const { client, sent } = scriptedLambda([
      {
        EventSourceMappings: [
          { UUID: 'u-other', EventSourceArn: `${STREAM}-old`, State: 'Enabled' },
        ],
        NextMarker: 'm1',
      },
      {
        EventSourceMappings: [
          {
            UUID: 'u-1',
            EventSourceArn: STREAM,
            State: 'Disabled',
            LastModified: new Date('2026-12-07T10:00:00.000Z'),
          },
        ],
      },
    ])
    const found = await lambdaMappings(client, STREAM).find('winner-view-prod-v2-winner')
    expect(found).toEqual([
      { uuid: 'u-1', state: 'Disabled', lastModified: '2026-12-07T10:00:00.000Z' },
    ])
    expect(sent.map((s) => [s.command instanceof ListEventSourceMappingsCommand, s.input])).toEqual(
      [
        [true, { FunctionName: 'winner-view-prod-v2-winner' }],
        [true, { FunctionName: 'winner-view-prod-v2-winner', Marker: 'm1' }],
      ],
    )
  })

  it('finds none when no mapping of the function reads the stream', async () => {
    const { client } = scriptedLambda([
      { EventSourceMappings: [{ UUID: 'u-2', EventSourceArn: `${STREAM}-2`, State: 'Enabled' }] },
    ])
    expect(await lambdaMappings(client, STREAM).find('f')).toEqual([])
  })

  it('finds every mapping of the function on the stream, on it and through a consumer', async () => {
    const { client } = scriptedLambda([
      {
        EventSourceMappings: [
          { UUID: 'u-1', EventSourceArn: STREAM, State: 'Disabled' },
          { UUID: 'u-2', EventSourceArn: `${STREAM}/consumer/c:1`, State: 'Enabled' },
        ],
      },
    ])
    expect(await lambdaMappings(client, STREAM).find('f')).toEqual([
      { uuid: 'u-1', state: 'Disabled' },
      { uuid: 'u-2', state: 'Enabled' },
    ])
  })

  it('asks for every mapping to be enabled before it waits, then waits until Lambda says each is Enabled', async () => {
    const { client, sent } = scriptedLambda([
      { UUID: 'u-1', State: 'Enabling' },
      { UUID: 'u-2', State: 'Enabling' },
      { UUID: 'u-1', State: 'Enabling' },
      { UUID: 'u-1', State: 'Enabled' },
      { UUID: 'u-2', State: 'Enabled' },
    ])
    await lambdaMappings(client, STREAM, { pollMs: 1 }).enable(['u-1', 'u-2'])
    expect(sent.map((s) => [s.command.constructor.name, s.input])).toEqual([
      [UpdateEventSourceMappingCommand.name, { UUID: 'u-1', Enabled: true }],
      [UpdateEventSourceMappingCommand.name, { UUID: 'u-2', Enabled: true }],
      [GetEventSourceMappingCommand.name, { UUID: 'u-1' }],
      [GetEventSourceMappingCommand.name, { UUID: 'u-1' }],
      [GetEventSourceMappingCommand.name, { UUID: 'u-2' }],
    ])
  })

  it('fails, naming the mapping and its state, when it is not Enabled in time', async () => {
    const { client } = scriptedLambda([
      { UUID: 'u-1', State: 'Enabling' },
      ...Array.from({ length: 50 }, () => ({ UUID: 'u-1', State: 'Disabled' })),
    ])
    await expect(
      lambdaMappings(client, STREAM, { pollMs: 1, enableTimeoutMs: 5 }).enable(['u-1']),
    ).rejects.toThrow(
      'the event source mapping u-1 is still Disabled, though asked to be enabled: see its StateTransitionReason (aws lambda get-event-source-mapping --uuid u-1)',
    )
  })

  it('names the function or the mapping a refused call was for', async () => {
    const denied = () =>
      new Error('User is not authorized to perform: lambda:UpdateEventSourceMapping')
    const { client } = scriptedLambda([denied(), denied()])
    const mappings = lambdaMappings(client, STREAM)
    await expect(mappings.find('f')).rejects.toThrow(
      new Error(
        'listing the event source mappings of f: User is not authorized to perform: lambda:UpdateEventSourceMapping',
      ),
    )
    await expect(mappings.enable(['u-1'])).rejects.toThrow(
      new Error(
        'enabling the event source mapping u-1: User is not authorized to perform: lambda:UpdateEventSourceMapping',
      ),
    )
  })
})
