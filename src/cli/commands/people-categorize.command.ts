import { Command } from 'commander';
import { withDb } from '../../app/open-db-from-env.js';
import { loadRedisConfig } from '../../config/redis.config.js';
import { categorizePerson } from '../../promotion/categorize.service.js';
import { loadKithConfig, resolveConfigPath } from '../../sync/kith-config.js';
import { withOnlineHub } from './contacts-edit.command.js';
import type { PromotionResult } from '../../promotion/promote.service.js';

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
      const promoted = await carryToContacts([r.personId]);
      if (o.json) return console.log(JSON.stringify({ person_id: r.personId, category: r.category, promotion: promoted ?? null }));
      const what = r.category ? (r.category.subcategory ?? r.category.category) : 'cleared';
      console.log(`Person ${r.personId}: category ${what}. ${promoted ? 'Carried to their contact.' : 'Their contact takes it at the next sync (or `kith contacts promote`).'}`);
    });
}

/**
 * With REDIS_URL set, the contacts of these people follow a change of theirs at once (through
 * the hub, as the sync's promotion step does); else, or when that fails, at the next sync.
 * Returns the promotion's outcome, or undefined when it did not run.
 */
export async function carryToContacts(personIds: readonly string[]): Promise<PromotionResult | undefined> {
  if (!loadRedisConfig().url) return undefined;
  const { promoteContacts } = await import('../../promotion/promote.service.js');
  const config = loadKithConfig(resolveConfigPath().file);
  try {
    return await withOnlineHub((hub) => promoteContacts(hub, { personIds, rule: config.contacts.promote }));
  } catch (err) {
    console.error(`kith: their contacts follow at the next sync (${(err as Error).message})`);
    return undefined;
  }
}

export function addPeopleCategorizeCommand(people: Command): Command {
  return people.addCommand(categorizeCommand());
}
