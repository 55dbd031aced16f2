import { Command } from 'commander';
import { loadCommands } from './commands/index.js';

/** Subcommands added with addCommand do not inherit settings: apply them down the tree. */
function inherit(c: Command): void {
  c.exitOverride().showHelpAfterError('(run with --help for usage)');
  for (const sub of c.commands) inherit(sub);
}

/**
 * The `kith` command tree (built without parsing anything, so tests can walk it): with `args`
 * (the user's arguments, without node and script) only the command they name, else all.
 */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const program = new Command('kith')
    .description('Kith keeps one truthful record of the people in your life, synced from everywhere they live.')
    .version('0.1.0', '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const c of await loadCommands(args)) {
    inherit(c);
    program.addCommand(c);
  }
  return program;
}
