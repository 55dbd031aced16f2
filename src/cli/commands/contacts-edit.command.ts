import { Command } from 'commander';
import { openDbFromEnv } from '../../app/open-db-from-env.js';
import { openHub } from '../../app/open-hub.js';
import { loadCoreConfig } from '../../config/core.config.js';
import { loadRedisConfig } from '../../config/redis.config.js';
import type { Db } from '../../db/db.js';
import type { ContactFields } from '../../hub/domain/canonical-contact.js';
import type { Hub } from '../../hub/hub-context.js';
import { editLocalContact } from '../../hub/services/local-edit.service.js';
import { findContact } from '../../hub/stores/contact-lookup.store.js';
import { createLogger } from '../../log/logger.js';
import { parseCategoryRef } from '../../promotion/promotion-config.js';
import { loadKithConfig, resolveConfigPath, resolveOnThisHost } from '../../sync/kith-config.js';
import { CliError } from '../cli-error.js';

/*
 * `kith contacts edit <id|email> --field value …` and `kith contacts promote`: both write through
 * the canonical store and the hub's fan-out, so they need REDIS_URL (the contact locks and queues).
 */

export async function withOnlineHub<T>(fn: (hub: Hub, db: Db) => Promise<T>): Promise<T> {
  const db = await openDbFromEnv();
  const redis = loadRedisConfig();
  if (!redis.url) {
    await db.close();
    throw new CliError('this command writes through the contact hub and needs REDIS_URL (the Redis that `kith start` or docker compose runs)');
  }
  let hub: Hub | undefined;
  try {
    hub = await openHub({ db, redisUrl: redis.url, prefix: redis.prefix, log: createLogger(loadCoreConfig().logLevel) });
    return await fn(hub, db);
  } finally {
    await hub?.close();
    await db.close();
  }
}

const text = (v: string) => (v.trim() === '' ? null : v.trim());
const listOf = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);

interface EditOptions {
  name?: string;
  firstName?: string;
  lastName?: string;
  emails?: string;
  phones?: string;
  company?: string;
  jobTitle?: string;
  category?: string;
  notes?: string;
  linkedinUrl?: string;
  tags?: string;
  lastContacted?: string;
  json?: boolean;
}

/** The options given, as canonical fields ('' clears a text field). */
export function editFields(o: EditOptions): Partial<ContactFields> {
  const f: Partial<ContactFields> = {};
  if (o.name !== undefined) f.canonical_name = o.name.trim();
  if (o.firstName !== undefined) f.first_name = text(o.firstName);
  if (o.lastName !== undefined) f.last_name = text(o.lastName);
  if (o.emails !== undefined) f.emails = listOf(o.emails);
  if (o.phones !== undefined) f.phones = listOf(o.phones);
  if (o.company !== undefined) f.company = text(o.company);
  if (o.jobTitle !== undefined) f.job_title = text(o.jobTitle);
  if (o.notes !== undefined) f.notes = text(o.notes);
  if (o.linkedinUrl !== undefined) f.linkedin_url = text(o.linkedinUrl);
  if (o.tags !== undefined) f.tags = listOf(o.tags);
  if (o.lastContacted !== undefined) f.last_contacted = text(o.lastContacted);
  if (o.category !== undefined) {
    if (o.category.trim() === '') {
      f.category_code = null;
      f.subcategory_code = null;
    } else {
      const c = parseCategoryRef(o.category);
      if (!c) throw new CliError(`--category: ${JSON.stringify(o.category)} is not a code: give A–H or X, optionally followed by .<sub> (G, G.2), or '' to clear`);
      f.category_code = c.category;
      f.subcategory_code = c.subcategory;
    }
  }
  return f;
}

function editCommand(): Command {
  return new Command('edit')
    .description('edit a contact in Kith’s database: merged into the canonical record (field ownership honoured) and fanned out to every system')
    .argument('<id|email>', 'contact id or one of its email addresses')
    .option('--name <text>', 'canonical_name')
    .option('--first-name <text>', 'first_name ("" clears)')
    .option('--last-name <text>', 'last_name ("" clears)')
    .option('--emails <list>', 'emails, comma-separated (replaces the list)')
    .option('--phones <list>', 'phones, comma-separated (replaces the list)')
    .option('--company <text>', 'company ("" clears)')
    .option('--job-title <text>', 'job_title ("" clears)')
    .option('--category <code>', 'category code A–H or X, optionally .<sub> (G.2; "" clears)')
    .option('--notes <text>', 'notes ("" clears)')
    .option('--linkedin-url <url>', 'linkedin_url ("" clears)')
    .option('--tags <list>', 'tags, comma-separated (replaces the list; "" clears)')
    .option('--last-contacted <date>', 'last_contacted, YYYY-MM-DD ("" clears)')
    .option('--json', 'print the outcome as one JSON object')
    .action(async (ref: string, o: EditOptions) =>
      withOnlineHub(async (hub) => {
        const fields = editFields(o);
        const contact = await findContact(hub.systems.canonical, ref);
        const r = await editLocalContact(hub, contact.contact_id, fields);
        if (o.json) return console.log(JSON.stringify(r));
        const kept = r.rejected.map((x) => `${x.field} (owned by ${x.owner})`).join(', ');
        if (!r.applied.length) {
          if (kept) throw new CliError(`contact ${r.contactId}: nothing changed: ${kept} kept; change it in its owner or in KITH_FIELD_OWNERSHIP`);
          return console.log(`Contact ${r.contactId} already holds these values (version ${r.version}).`);
        }
        console.log(`Contact ${r.contactId} is now version ${r.version}: ${r.applied.join(', ')} changed${kept ? `; kept ${kept}` : ''}. Fanned out to every system${r.fanout ? ` (${r.fanout})` : ''}.`);
      }),
    );
}

function promoteCommand(): Command {
  return new Command('promote')
    .description('make the people the promotion rule selects canonical contacts now (a sync does it in phase 3)')
    .option('--person <ref...>', 'only these people (id, email or name)')
    .option('--json', 'print the outcome as one JSON object')
    .action(async (o: { person?: string[]; json?: boolean }) =>
      withOnlineHub(async (hub, db) => {
        const [{ promoteContacts }, { resolvePersonRef }] = await Promise.all([import('../../promotion/promote.service.js'), import('../../promotion/person-ref.js')]);
        const config = loadKithConfig(resolveConfigPath().file);
        const personIds = o.person ? await Promise.all(o.person.map((p) => resolvePersonRef(db, p))) : undefined;
        const vaults = config.sources.filter((s) => s.type === 'vault').map((s) => resolveOnThisHost(s).path);
        const r = await promoteContacts(hub, { rule: config.contacts.promote, categories: config.categories, personIds, vaults });
        if (o.json) return console.log(JSON.stringify(r));
        console.log(`Promoted: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged, ${r.merged} merged away, ${r.restored} restored, ${r.failed} failed (of ${r.considered} people).`);
        for (const e of r.errors) console.log(`  ${e}`);
        if (r.failed) throw new CliError(`${r.failed} people could not be promoted`, 1);
      }),
    );
}

export function addContactsEditCommands(contacts: Command): Command {
  return contacts.addCommand(editCommand()).addCommand(promoteCommand());
}
