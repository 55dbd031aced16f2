import { Command } from 'commander';
import { allCommands } from './commands/index.js';

/** Subcommands added with addCommand do not inherit settings: apply them down the tree. */
function inherit(c: Command): void {
  c.exitOverride().showHelpAfterError('(run with --help for usage)');
  for (const sub of c.commands) inherit(sub);
}

/** The whole `kith` command tree (built without parsing anything, so tests can walk it). */
export function buildProgram(): Command {
  const program = new Command('kith')
    .description('Kith keeps one truthful record of the people in your life, synced from everywhere they live.')
    .version('0.1.0', '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const c of allCommands()) {
    inherit(c);
    program.addCommand(c);
  }
  return program;
}
