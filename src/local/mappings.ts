import {
  type EventSourceMappingConfiguration,
  GetEventSourceMappingCommand,
  type LambdaClient,
  paginateListEventSourceMappings,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda'
import { sleep } from '../runtime/backoff'

/** A function's event source mapping on a stream: its id and state (Enabled, Disabled, …). */
export interface StreamMapping {
  readonly uuid: string
  readonly state: string
  /** When it was last updated or changed state (ISO-8601), if Lambda says. */
  readonly lastModified?: string
}

/** What `rebuild --aws` asks of Lambda: a function's mappings on the stream, and enabling them. */
export interface Mappings {
  /** The function's mappings on the stream (directly or through a consumer of it). */
  readonly find: (functionName: string) => Promise<StreamMapping[]>
  /**
   * Enables the mappings, each request sent before any wait (a crash leaves as few
   * half-enabled as it can), then waits until Lambda says each is Enabled; an error if not.
   */
  readonly enable: (uuids: ReadonlyArray<string>) => Promise<void>
}

/** Whether a mapping reads the stream: on the stream itself, or on one of its consumers. */
export const readsStream = (eventSourceArn: string | undefined, streamArn: string): boolean =>
  eventSourceArn === streamArn || eventSourceArn?.startsWith(`${streamArn}/consumer/`) === true

export interface LambdaMappingsOptions {
  /** How long to wait for a mapping to be Enabled, and between looks. */
  readonly enableTimeoutMs?: number
  readonly pollMs?: number
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)

/** The listed mappings that read the stream, with their ids and states. */
const onStream = (
  listed: ReadonlyArray<EventSourceMappingConfiguration> | undefined,
  streamArn: string,
): StreamMapping[] =>
  (listed ?? []).flatMap(({ UUID, EventSourceArn, State, LastModified }) =>
    UUID !== undefined && readsStream(EventSourceArn, streamArn)
      ? [
          {
            uuid: UUID,
            state: State ?? 'unknown',
            ...(LastModified === undefined ? {} : { lastModified: LastModified.toISOString() }),
          },
        ]
      : [],
  )

/** Waits until Lambda says the mapping is Enabled; an error naming its state past the deadline. */
const untilEnabled = async (
  client: LambdaClient,
  uuid: string,
  deadline: number,
  options: LambdaMappingsOptions,
) => {
  for (;;) {
    const { State } = await client.send(new GetEventSourceMappingCommand({ UUID: uuid }))
    if (State === 'Enabled') return
    if (Date.now() >= deadline)
      throw new Error(
        `the event source mapping ${uuid} is still ${State ?? 'in no state'}, though asked to be enabled: see its StateTransitionReason (aws lambda get-event-source-mapping --uuid ${uuid})`,
      )
    await sleep(options.pollMs ?? 2_000)
  }
}

/**
 * The mappings of a deployed stage, through Lambda's API. Enabling is asynchronous (the
 * update answers `Enabling`): it is done once `GetEventSourceMapping` says `Enabled`.
 */
export const lambdaMappings = (
  client: LambdaClient,
  streamArn: string,
  options: LambdaMappingsOptions = {},
): Mappings => ({
  find: async (functionName) => {
    const found: StreamMapping[] = []
    const pages = paginateListEventSourceMappings({ client }, { FunctionName: functionName })
    try {
      for await (const page of pages) found.push(...onStream(page.EventSourceMappings, streamArn))
    } catch (error) {
      throw new Error(`listing the event source mappings of ${functionName}: ${messageOf(error)}`)
    }
    return found
  },
  enable: async (uuids) => {
    for (const uuid of uuids)
      await client
        .send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }))
        .catch((error: unknown) => {
          throw new Error(`enabling the event source mapping ${uuid}: ${messageOf(error)}`)
        })
    const deadline = Date.now() + (options.enableTimeoutMs ?? 120_000)
    for (const uuid of uuids) await untilEnabled(client, uuid, deadline, options)
  },
})
