import {
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
}

/** What `rebuild --aws` asks of Lambda: a function's mapping on the stream, and enabling it. */
export interface Mappings {
  /** The function's mapping on the stream (directly or through a consumer of it), if any. */
  readonly find: (functionName: string) => Promise<StreamMapping | undefined>
  /** Enables the mapping and waits until Lambda says it is Enabled; an error if it does not. */
  readonly enable: (uuid: string) => Promise<void>
}

/** Whether a mapping reads the stream: on the stream itself, or on one of its consumers. */
export const readsStream = (eventSourceArn: string | undefined, streamArn: string): boolean =>
  eventSourceArn === streamArn || eventSourceArn?.startsWith(`${streamArn}/consumer/`) === true

export interface LambdaMappingsOptions {
  /** How long to wait for a mapping to be Enabled, and between looks. */
  readonly enableTimeoutMs?: number
  readonly pollMs?: number
}

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
        `the event source mapping ${uuid} is still ${State ?? 'in no state'}: see its StateTransitionReason (aws lambda get-event-source-mapping --uuid ${uuid})`,
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
    const pages = paginateListEventSourceMappings({ client }, { FunctionName: functionName })
    for await (const page of pages) {
      const found = (page.EventSourceMappings ?? []).find((m) =>
        readsStream(m.EventSourceArn, streamArn),
      )
      if (found?.UUID !== undefined) return { uuid: found.UUID, state: found.State ?? 'unknown' }
    }
    return undefined
  },
  enable: async (uuid) => {
    await client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }))
    await untilEnabled(client, uuid, Date.now() + (options.enableTimeoutMs ?? 120_000), options)
  },
})
