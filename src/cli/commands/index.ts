import type { Command } from 'commander';
import { contactsCommand } from './contacts.command.js';
import { addContactsSyncCommands } from './contacts-sync.command.js';
import { peopleCommand } from './people.command.js';
import { promptCommand } from './prompt.command.js';
import { startCommand } from './start.command.js';
import { statsCommand } from './stats.command.js';
import { statusCommand } from './status.command.js';
import { syncCommand } from './sync.command.js';
import { workerCommand } from './worker.command.js';

/**
 * Every `kith` subcommand, one factory per file. Add a line here to add a command.
 */
export function allCommands(): Command[] {
  return [startCommand(), workerCommand(), syncCommand(), statusCommand(), addContactsSyncCommands(contactsCommand()), promptCommand(), peopleCommand(), statsCommand()];
}
