import { Command } from 'commander';
import { withDb } from '../../app/open-db-from-env.js';
import type { CanonicalContact } from '../../hub/domain/canonical-contact.js';
import { resolveStoredConflict } from '../../hub/services/conflict-resolution.service.js';
import { findContact } from '../../hub/stores/contact-lookup.store.js';
import { getLinks } from '../../hub/stores/contact-links.store.js';
import { listPending } from '../../hub/stores/contact-outbox.store.js';
import { type ConflictSide, listConflicts } from '../../hub/stores/sync-conflicts.store.js';
import type { Db } from '../../db/db.js';
import { compareContacts } from '../../hub/domain/alignment-validator.js';
import { localContactMeta } from '../../systems/local/contacts-table.js';
import { LocalCanonicalStore } from '../../systems/local/local-canonical.store.js';
import { personContactByContact } from '../../promotion/person-contacts.store.js';
import { canonicalStoreReader } from '../../app/hub-systems.js';
import type { ContactVersion } from '../../hub/domain/contact-version.js';

/*
 * `kith contacts …` over the local database. The canonical store here is the local one; when
 * BigQuery is canonical the lead's wiring passes that store instead (see contactsCommand).
 */

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());
const short = (h: string | null) => (h ? h.slice(0, 12) : '-');

function sideLine(s: ConflictSide): string {
  return `${s.system} v${s.version ?? '?'} at ${s.updatedAt}${s.deletedAt ? ' (deleted)' : ''}`;
}

function conflictsCommand(): Command {
  return new Command('conflicts')
    .description('list contacts whose copies have the same version and time but different content')
    .option('--json', 'print one JSON array')
    .option('--all', 'include resolved conflicts')
    .action(async (opts: { json?: boolean; all?: boolean }) =>
      withDb(async (db) => {
        const rows = await listConflicts(db, { all: opts.all });
        if (opts.json) return console.log(JSON.stringify(rows));
        if (!rows.length) return console.log(opts.all ? 'No conflicts recorded.' : 'No open conflicts.');
        for (const c of rows) {
          const diff = compareContacts({ ...c.a.fields, deleted_at: c.a.deletedAt }, { ...c.b.fields, deleted_at: c.b.deletedAt });
          console.log(`${c.id}  contact ${c.contactId}  ${c.resolvedAt ? `resolved ${iso(c.resolvedAt)}` : `open since ${iso(c.createdAt)}`}`);
          console.log(`  a: ${sideLine(c.a)}`);
          console.log(`  b: ${sideLine(c.b)}`);
          for (const d of diff) console.log(`  ${d.field}: ${JSON.stringify(d.a)} ≠ ${JSON.stringify(d.b)}`);
        }
        if (!opts.all) console.log(`Resolve with: kith contacts resolve <id> --take <system> | --take <field>=<system> …`);
      }),
    );
}

function resolveCommand(): Command {
  return new Command('resolve')
    .description('settle a conflict: take one side whole and/or single fields from either side')
    .argument('<conflict-id>', 'id shown by `kith contacts conflicts`')
    .requiredOption('--take <choice...>', 'a system (whole side) and/or field=system pairs, e.g. --take twenty emails=supabase')
    .option('--json', 'print the settled record as one JSON object')
    .action(async (id: string, opts: { take: string[]; json?: boolean }) =>
      withDb(async (db) => {
        const r = await resolveStoredConflict(db, new LocalCanonicalStore(db), id, opts.take);
        if (opts.json) return console.log(JSON.stringify({ conflict_id: id, action: r.outcome.action, contact: r.contact }));
        console.log(`Resolved ${id}: contact ${r.contact.contact_id} is now version ${r.contact.sync_metadata.version} (${r.outcome.action}).`);
        console.log('The change is in the canonical store; the next contacts sync propagates it to every system.');
      }),
    );
}

function showText(c: CanonicalContact, data: Awaited<ReturnType<typeof showData>>): void {
  const m = c.sync_metadata;
  console.log(`${c.canonical_name}  (${c.contact_id})${c.deleted_at ? `  deleted ${c.deleted_at}` : ''}`);
  console.log(`version ${m.version}, updated ${m.last_updated} by ${m.last_updated_by}, hash ${short(data.contentHash)}, person ${data.personId ?? 'not linked'}`);
  if (data.mergedInto) console.log(`merged into contact ${data.mergedInto} (its person was merged)`);
  const { contact_id: _i, sync_metadata: _m, deleted_at: _d, ...fields } = c;
  for (const [k, v] of Object.entries(fields)) if (v != null && !(Array.isArray(v) && !v.length)) console.log(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  console.log(data.links.length ? 'systems:' : 'systems: none linked yet');
  for (const l of data.links) {
    const state = l.lastVersion == null ? 'version unknown' : l.lastVersion === m.version ? `v${l.lastVersion} (current)` : `v${l.lastVersion} (behind v${m.version})`;
    console.log(`  ${l.system.padEnd(9)} ${l.externalId}  ${state}  hash ${short(l.lastHash)}  synced ${iso(l.lastSyncedAt) ?? 'never'}`);
  }
  for (const p of data.pending) console.log(`pending: ${p.target} v${p.version} since ${iso(p.enqueuedAt)}${p.lastError ? ` (last error: ${p.lastError})` : ''}`);
  for (const x of data.conflicts) console.log(`open conflict: ${x.id} (${x.a.system} vs ${x.b.system})`);
}

function historyText(history: readonly ContactVersion[], links: Awaited<ReturnType<typeof getLinks>>): void {
  console.log(history.length ? 'history (newest first):' : 'history: none kept');
  for (const v of history) {
    const held = links.filter((l) => l.lastVersion === v.version).map((l) => l.system);
    const changed = v.changed.length ? v.changed.join(', ') : 'nothing';
    console.log(`  v${v.version}  ${v.at}  from ${v.system}${v.origin ? ` by way of ${v.origin}` : ''}: ${changed}${v.deleted ? ' (deleted)' : ''}${held.length ? `  held by ${held.join(', ')}` : ''}`);
  }
}

async function showData(db: Db, c: CanonicalContact) {
  const meta = await localContactMeta(db, c.contact_id);
  return {
    contact: c,
    mergedInto: (await personContactByContact(db, c.contact_id))?.merged_into_contact ?? null,
    contentHash: meta?.contentHash ?? null,
    personId: meta?.personId ?? null,
    links: await getLinks(db, c.contact_id),
    pending: (await listPending(db)).filter((p) => p.contactId === c.contact_id),
    conflicts: await listConflicts(db, { contactId: c.contact_id }),
  };
}

function showCommand(): Command {
  return new Command('show')
    .description('the canonical record and its link, hash and version in every system')
    .argument('<id|email>', 'contact id or one of its email addresses')
    .option('--json', 'print one JSON object')
    .option('--history', 'also every version the canonical store kept: what changed, from which system, by which way')
    .action(async (ref: string, opts: { json?: boolean; history?: boolean }) =>
      withDb(async (db) => {
        const c = await findContact(new LocalCanonicalStore(db), ref);
        const data = await showData(db, c);
        const history = opts.history ? await (await canonicalStoreReader(db)()).history(c.contact_id) : undefined;
        if (opts.json) console.log(JSON.stringify(history ? { ...data, history } : data));
        else {
          showText(c, data);
          if (history) historyText(history, data.links);
        }
      }),
    );
}

/** `kith contacts`; further subcommands (sync, sync-all, drift) are added with `.addCommand`. */
export function contactsCommand(): Command {
  return new Command('contacts')
    .description('the contact hub: canonical records, their copies in every system, conflicts')
    .addCommand(showCommand())
    .addCommand(conflictsCommand())
    .addCommand(resolveCommand());
}
