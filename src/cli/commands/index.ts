import type { Command } from 'commander';

/**
 * Every `kith` subcommand, one factory per file, loaded on demand: a worker process runs
 * `kith worker …` and should not load the HTTP server, Bull Board or the SaaS SDKs that other
 * commands need (about 1 s and 60 MB per process). Add a line here to add a command.
 */
export const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  start: async () => (await import('./start.command.js')).startCommand(),
  worker: async () => (await import('./worker.command.js')).workerCommand(),
  sync: async () => (await import('./sync.command.js')).syncCommand(),
  status: async () => (await import('./status.command.js')).statusCommand(),
  contacts: async () => {
    const [{ contactsCommand }, { addContactsSyncCommands }, { addContactsEditCommands }, { addContactsSetupCommands }] = await Promise.all([
      import('./contacts.command.js'),
      import('./contacts-sync.command.js'),
      import('./contacts-edit.command.js'),
      import('./contacts-setup.command.js'),
    ]);
    return addContactsSetupCommands(addContactsEditCommands(addContactsSyncCommands(contactsCommand())));
  },
  prompt: async () => (await import('./prompt.command.js')).promptCommand(),
  people: async () => {
    const [{ peopleCommand }, { addPeopleCategorizeCommand }] = await Promise.all([import('./people.command.js'), import('./people-categorize.command.js')]);
    return addPeopleCategorizeCommand(peopleCommand());
  },
  stats: async () => (await import('./stats.command.js')).statsCommand(),
  search: async () => (await import('./search.command.js')).searchCommand(),
  index: async () => (await import('./index.command.js')).indexCommand(),
  auth: async () => (await import('./auth.command.js')).authCommand(),
  tables: async () => (await import('./tables.command.js')).tablesCommand(),
};

/** The commands to build for these arguments: only the one named, else (help, typos) all of them. */
export async function loadCommands(args: readonly string[] = []): Promise<Command[]> {
  const named = args.find((a) => !a.startsWith('-'));
  const names = named && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  return Promise.all(names.map((n) => COMMANDS[n]!()));
}
