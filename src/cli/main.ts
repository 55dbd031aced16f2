import { Command, CommanderError } from 'commander';
import { reportCliError } from './cli-error.js';
import { allCommands } from './commands/index.js';

const program = new Command('kith')
  .description('Kith keeps one truthful record of the people in your life, synced from everywhere they live.')
  .version('0.1.0', '-v, --version')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

/** Subcommands added with addCommand do not inherit settings: apply them down the tree. */
function inherit(c: Command): void {
  c.exitOverride().showHelpAfterError('(run with --help for usage)');
  for (const sub of c.commands) inherit(sub);
}
for (const c of allCommands()) {
  inherit(c);
  program.addCommand(c);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode;
  else process.exitCode = reportCliError(err);
}
