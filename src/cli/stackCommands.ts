import type { Command } from 'commander'
import { runningStack, serveStack, stackHome, startStack, stopStack } from '../local/stackHome'
import { wholeNumber } from './flags'

interface PortFlags {
  readonly kinesisPort?: number
  readonly dynamodbPort?: number
}

const portOptions = (command: Command): Command =>
  command
    .option(
      '--kinesis-port <n>',
      'port for kinesalite (default: a free one)',
      wholeNumber(1, 65_535),
    )
    .option(
      '--dynamodb-port <n>',
      'port for DynamoDB Local (default: a free one)',
      wholeNumber(1, 65_535),
    )

/** `winner-view up | down`: a local stack that outlives commands, and the process that serves it. */
export const stackCommands = (cli: Command): void => {
  portOptions(
    cli
      .command('up')
      .description(
        'start DynamoDB Local and kinesalite in the background, keeping their data, for every later command',
      ),
  ).action(async (flags: PortFlags) => {
    const home = stackHome()
    const already = await runningStack(home)
    const stack = already ?? (await startStack(home, flags))
    console.log(
      `local stack ${already === undefined ? 'up' : 'already up'}: Kinesis ${stack.kinesis}, DynamoDB ${stack.dynamodb} (data in ${home}); \`winner-view down\` stops it`,
    )
  })
  cli
    .command('down')
    .description('stop the local stack that `up` or the demo started; its data stays')
    .action(async () => {
      const home = stackHome()
      const stopped = await stopStack(home)
      console.log(
        stopped
          ? `local stack stopped; its data stays in ${home} for the next \`winner-view up\``
          : 'no local stack was running',
      )
    })
  portOptions(cli.command('stack-daemon', { hidden: true })).action(async (flags: PortFlags) => {
    await serveStack(stackHome(), flags)
  })
}
