import type { Command } from 'commander';

/**
 * Every `kith` subcommand, one factory per file. Add a line here to add a command.
 */
export function allCommands(): Command[] {
  return [];
}
