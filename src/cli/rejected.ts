import { writeFile } from 'node:fs/promises'
import { type Command, Option } from 'commander'
import { rejectedTableOf, STACK_VIEWS, type StackOptions } from '../local/localStack'
import { readRejected } from '../local/rejectedReader'
import { readRejectedRecords } from '../local/viewReader'
import { readOptions } from './flags'
import { withReadStack } from './stack'

const bytesOf = (base64: string): number => Buffer.byteLength(base64, 'base64')

type ViewFlags = StackOptions & { readonly view: string }

/** The `--view` option: which view's Rejected table, the winner view's by default. */
const withViewOption = (command: Command): Command =>
  command.addOption(
    new Option('--view <name>', 'the view whose rejected records to read')
      .choices(STACK_VIEWS.map((v) => v.name))
      .default(STACK_VIEWS[0]?.name),
  )

/** `winner-view rejected list|export`: what could not be folded, and its original bytes. */
export const rejectedCommand = (cli: Command): Command => {
  const rejected = cli
    .command('rejected')
    .description('list the rejected records, or export one as its original bytes')
  withViewOption(readOptions(rejected.command('list').description('one line per rejected record')))
    .option('--json', 'the records as JSON, data included (base64, as received)')
    .action(async (flags: ViewFlags & { json?: boolean }) => {
      await withReadStack(flags, async (stack) => {
        const records = await readRejectedRecords(stack.dynamo, rejectedTableOf(stack, flags.view))
        if (flags.json === true) {
          console.log(JSON.stringify(records, null, 2))
          return
        }
        for (const r of records) console.log(`${r.eventId}\t${bytesOf(r.data)} bytes\t${r.reason}`)
        process.stderr.write(`${records.length} rejected records\n`)
      })
    })
  withViewOption(
    readOptions(
      rejected
        .command('export')
        .description("write one rejected record's data, byte for byte as received"),
    ),
  )
    .argument('<eventId>', 'the record, as `shardId:sequenceNumber`')
    .requiredOption('--out <file>', 'where to write the bytes')
    .action(async (eventId: string, flags: ViewFlags & { out: string }) => {
      await withReadStack(flags, async (stack) => {
        const record = await readRejected(stack.dynamo, rejectedTableOf(stack, flags.view), eventId)
        if (record === undefined) throw new Error(`no rejected record ${eventId}`)
        const bytes = Buffer.from(record.data, 'base64')
        await writeFile(flags.out, bytes)
        process.stderr.write(`wrote ${flags.out}: ${bytes.length} bytes (${record.reason})\n`)
      })
    })
  return rejected
}
