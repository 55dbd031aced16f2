/**
 * A canonical snapshot of the people graph a sync run leaves, independent of generated ids and of
 * the order work happened in: people by their identity (name, sorted emails and phones) with
 * every count column, interactions by their key (source type and external id) with the person
 * they belong to, relationships by the pair of identities with their counts. Two runs of the same
 * data must give equal snapshots, whatever was killed or restarted on the way.
 */
import type { DbConfig } from '../../src/config/db.config.js';
import type { Db } from '../../src/db/db.js';
import { openDb } from '../../src/db/open-db.js';

export interface SyncSnapshot {
  /** identity → the person's count columns (and strength) as one comparable string. */
  people: Map<string, string>;
  /** People rows that share an identity with another live person. */
  duplicatePeople: number;
  /** Merged-away people (tombstones). */
  merged: number;
  /** `source_type|external_id` → `identity|occurred_at|conversation_key`. */
  interactions: Map<string, string>;
  /** `identityA ⇄ identityB` (sorted) → the shared counts and times. */
  relationships: Map<string, string>;
  /** Relationship rows whose pair of identities appears more than once. */
  duplicateRelationships: number;
}

const COUNT_COLUMNS = ['email_count', 'meeting_count', 'message_count', 'mention_count', 'call_count', 'source_mask', 'first_interaction_at', 'last_interaction_at'] as const;

function sortedJson(v: unknown): string {
  try {
    const a = JSON.parse(String(v)) as unknown;
    return Array.isArray(a) ? JSON.stringify([...a].map(String).sort()) : String(v);
  } catch {
    return String(v);
  }
}

/** Reads the snapshot from the database `config` names (without migrating it). */
export async function takeSnapshot(config: DbConfig): Promise<SyncSnapshot> {
  const db = await openDb(config, { migrate: false });
  try {
    return await readSnapshot(db);
  } finally {
    await db.close();
  }
}

export async function readSnapshot(db: Db): Promise<SyncSnapshot> {
  const identity = new Map<string, string>();
  const people = new Map<string, string>();
  let duplicatePeople = 0;
  let merged = 0;
  const rows = await db.all<Record<string, unknown>>(`SELECT id, canonical_name, emails, phones, merged_into, strength, ${COUNT_COLUMNS.join(', ')} FROM people`);
  for (const r of rows) {
    const id = `${String(r.canonical_name)}|${sortedJson(r.emails)}|${sortedJson(r.phones)}`;
    identity.set(String(r.id), id);
    if (r.merged_into != null) {
      merged++;
      continue;
    }
    // Strength is rounded to one decimal and depends on the day: compare it to a tenth.
    const strength = r.strength == null ? 'null' : (Math.round(Number(r.strength) * 10) / 10).toFixed(1);
    const value = `${COUNT_COLUMNS.map((c) => `${c}=${r[c] == null ? 'null' : String(r[c])}`).join(' ')} strength=${strength}`;
    if (people.has(id)) duplicatePeople++;
    else people.set(id, value);
  }
  const who = (personId: unknown) => identity.get(String(personId)) ?? `missing person ${String(personId)}`;
  const interactions = new Map<string, string>();
  for (const r of await db.all<Record<string, unknown>>('SELECT person_id, source_type, external_id, occurred_at, conversation_key FROM interactions')) {
    interactions.set(`${String(r.source_type)}|${String(r.external_id)}`, `${who(r.person_id)}|${String(r.occurred_at)}|${String(r.conversation_key ?? '')}`);
  }
  const relationships = new Map<string, string>();
  let duplicateRelationships = 0;
  for (const r of await db.all<Record<string, unknown>>('SELECT person_a, person_b, shared_events_count, shared_threads_count, shared_messages_count, first_seen_at, last_seen_at FROM relationships')) {
    const key = [who(r.person_a), who(r.person_b)].sort().join(' ⇄ ');
    const value = `events=${String(r.shared_events_count)} threads=${String(r.shared_threads_count)} messages=${String(r.shared_messages_count)} first=${String(r.first_seen_at)} last=${String(r.last_seen_at)}`;
    if (relationships.has(key)) duplicateRelationships++;
    else relationships.set(key, value);
  }
  return { people, duplicatePeople, merged, interactions, relationships, duplicateRelationships };
}

/** Totals, for logs and the result's details. */
export function snapshotSize(s: SyncSnapshot): { people: number; interactions: number; relationships: number } {
  return { people: s.people.size, interactions: s.interactions.size, relationships: s.relationships.size };
}

export interface SnapshotDiff {
  /** Rows the clean run has that this one does not. */
  lost: number;
  /** Rows this one has beyond the clean run's (extra keys and duplicate identities). */
  duplicated: number;
  /** Each difference as a sentence naming the table, with a few examples. */
  discrepancies: string[];
}

/** Compares a snapshot with the clean run's. */
export function compareSnapshots(clean: SyncSnapshot, got: SyncSnapshot): SnapshotDiff {
  const discrepancies: string[] = [];
  let lost = 0;
  let duplicated = 0;
  const table = (name: string, a: Map<string, string>, b: Map<string, string>) => {
    const missing = [...a.keys()].filter((k) => !b.has(k));
    const extra = [...b.keys()].filter((k) => !a.has(k));
    const differ = [...a.keys()].filter((k) => b.has(k) && a.get(k) !== b.get(k));
    lost += missing.length;
    duplicated += extra.length;
    const ex = (keys: string[], show: (k: string) => string) => keys.slice(0, 3).map(show).join('; ');
    if (missing.length) discrepancies.push(`${name}: ${missing.length} of the clean run's ${a.size} missing (e.g. ${ex(missing, (k) => k)})`);
    if (extra.length) discrepancies.push(`${name}: ${extra.length} not in the clean run (e.g. ${ex(extra, (k) => k)})`);
    if (differ.length) discrepancies.push(`${name}: ${differ.length} differ from the clean run (e.g. ${ex(differ, (k) => `${k}: clean ${a.get(k)}, got ${b.get(k)}`)})`);
  };
  table('people', clean.people, got.people);
  table('interactions', clean.interactions, got.interactions);
  table('relationships', clean.relationships, got.relationships);
  if (got.duplicatePeople > clean.duplicatePeople) {
    duplicated += got.duplicatePeople - clean.duplicatePeople;
    discrepancies.push(`people: ${got.duplicatePeople} rows duplicate another person's identity (clean run: ${clean.duplicatePeople})`);
  }
  if (got.duplicateRelationships > clean.duplicateRelationships) {
    duplicated += got.duplicateRelationships - clean.duplicateRelationships;
    discrepancies.push(`relationships: ${got.duplicateRelationships} rows duplicate another pair (clean run: ${clean.duplicateRelationships})`);
  }
  if (got.merged !== clean.merged) discrepancies.push(`people: ${got.merged} merged-away rows, the clean run ${clean.merged}`);
  return { lost, duplicated, discrepancies };
}
