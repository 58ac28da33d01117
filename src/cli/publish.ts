import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { requireStream } from '../local/consume'
import { putRecords } from '../local/kinesis'
import type { StackOptions } from '../local/localStack'
import { recordsOfLines } from '../local/replayLog'
import { endpointOptions } from './flags'
import { progressBar } from './output'
import { withReadStack } from './stack'

/** `winner-view publish`: put each line of a file as a record on the stage's stream, and nothing more. */
export const publishCommand = (cli: Command): Command =>
  endpointOptions(
    cli
      .command('publish')
      .description(
        "put each line of a JSON-lines file as a record on an existing stream (the stage's, by default)",
      ),
  )
    .argument('<file>', 'a JSON-lines event log, such as `generate` writes')
    .option('--stream <name>', 'the stream (default: the stage’s, <stage>Stream)')
    .action(async (file: string, flags: StackOptions & { stream?: string }) => {
      const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
        throw new Error(
          error.code === 'ENOENT' ? `${file}: no such file` : `${file}: ${error.message}`,
        )
      })
      const records = recordsOfLines(bytes)
      const streamName = flags.stream ?? `${flags.stage}Stream`
      await withReadStack({ ...flags, anyStage: true }, async (stack) => {
        await requireStream(stack, streamName)
        const publishing = progressBar('publishing', records.length)
        await putRecords(stack.kinesis, streamName, records, publishing.advance)
        publishing.stop()
        console.log(`published ${records.length} records to ${streamName}`)
      })
    })
