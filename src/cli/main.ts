import { Command } from 'commander'
import { consumeCommand } from './consume'
import { demoCommand } from './demo'
import { diffCommand } from './diff'
import { generateCommand } from './generate'
import { lookupCommands } from './lookups'
import { publishCommand } from './publish'
import { rebuildCommand } from './rebuild'
import { rejectedCommand } from './rejected'
import { replayCommand } from './replay'
import { serveCommand } from './serve'
import { stackCommands } from './stackCommands'
import { statusCommand } from './status'
import { switchCommand } from './switch'

/** The CLI's commands, flags and help text. */
export const program = (): Command => {
  const cli = new Command('winner-view')
    .description('The winner view of a retail Kinesis stream, run locally on real-API emulators.')
    .showHelpAfterError('(run with --help for usage)')
  demoCommand(cli)
  replayCommand(cli)
  consumeCommand(cli)
  rebuildCommand(cli)
  publishCommand(cli)
  generateCommand(cli)
  rejectedCommand(cli)
  statusCommand(cli)
  lookupCommands(cli)
  diffCommand(cli)
  switchCommand(cli)
  serveCommand(cli)
  stackCommands(cli)
  return cli
}

/** Runs the CLI; every error a user can cause ends in one line and a non-zero exit. */
export const main = async (argv: string[]): Promise<void> => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  try {
    await program().parseAsync(argv)
  } catch (error) {
    process.stderr.write(`winner-view: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  }
}
