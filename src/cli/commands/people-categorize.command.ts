import { Command } from 'commander';
import { withDb } from '../../app/open-db-from-env.js';
import { loadRedisConfig } from '../../config/redis.config.js';
import { categorizePerson } from '../../promotion/categorize.service.js';
import { loadKithConfig, resolveConfigPath } from '../../sync/kith-config.js';
import { withOnlineHub } from './contacts-edit.command.js';

/**
 * `kith people categorize <person> <A–H|X>[.sub]`: the person's category by hand; with REDIS_URL
 * set, carried to its contact (and every system) at once, else by the next sync.
 */
function categorizeCommand(): Command {
  return new Command('categorize')
    .description('set a person’s category code (A–H or X, optionally .<sub>; - clears); it travels to their contact in every system')
    .argument('<person>', 'person id, email or name')
    .argument('<code>', 'A Family, B Friends, C Acquaintances, D Dating, E Ex, F Service providers, G Professional, H Hostile, X Exclude; e.g. G or G.2')
    .option('--json', 'print the outcome as one JSON object')
    .action(async (ref: string, code: string, o: { json?: boolean }) => {
      const r = await withDb((db) => categorizePerson(db, ref, code));
      let promoted: unknown;
      if (loadRedisConfig().url) {
        const { promoteContacts } = await import('../../promotion/promote.service.js');
        const config = loadKithConfig(resolveConfigPath().file);
        promoted = await withOnlineHub((hub) => promoteContacts(hub, { personIds: [r.personId], rule: config.contacts.promote }));
      }
      if (o.json) return console.log(JSON.stringify({ person_id: r.personId, category: r.category, promotion: promoted ?? null }));
      const what = r.category ? (r.category.subcategory ?? r.category.category) : 'cleared';
      console.log(`Person ${r.personId}: category ${what}. ${promoted ? 'Carried to their contact.' : 'Their contact takes it at the next sync (or `kith contacts promote`).'}`);
    });
}

export function addPeopleCategorizeCommand(people: Command): Command {
  return people.addCommand(categorizeCommand());
}
