/**
 * What the hub scenarios do to the contacts and how they judge the outcome.
 *
 * The contacts are split in two: those with an even index are edited in Twenty (their job
 * title), those with an odd one in Supabase (their last name, as a user in the dashboard:
 * the row trigger bumps the version and Supabase sends its Database Webhook). Each edit writes
 * a value carrying its sequence number, so every system's copy tells which change it holds.
 * A Twenty edit must reach the canonical store and Supabase; a Supabase edit the canonical
 * store and Twenty.
 */
import { randomUUID } from 'node:crypto';
import type { CanonicalContact } from '../../src/hub/domain/canonical-contact.js';
import { measureDrift } from '../../src/hub/services/drift.service.js';
import { syncAllContacts } from '../../src/hub/services/sweep.service.js';
import { listPending } from '../../src/hub/stores/contact-outbox.store.js';
import { countOpenConflicts } from '../../src/hub/stores/sync-conflicts.store.js';
import { writeContacts } from '../../src/systems/local/contacts-table.js';
import { type ChaosHub, sleep } from './hub-env.js';
import { traceContact } from './hub-trace.js';

export interface Seeded {
  ids: string[];
  /** Index in the Twenty request log and count of Kith's Supabase writes once the initial sync had settled. */
  twentyBaseline: number;
}

const editedIn = (i: number): 'twenty' | 'supabase' => (i % 2 === 0 ? 'twenty' : 'supabase');
const twentyValue = (seq: number) => `Chaos title ${seq}`;
const supabaseValue = (seq: number) => `Chaoslast${seq}`;
const seqOf = (v: string | null | undefined): number => {
  const m = /(\d+)$/.exec(v ?? '');
  return m ? Number(m[1]) : -1;
};

/**
 * Kith's own writes to Supabase's contacts table (a new sync_write_id, or an insert), one row
 * each, kept by a trigger in the emulator's database: the duplicate count reads them.
 */
const AUDIT_SQL = `
  CREATE TABLE _chaos_kith_writes (contact_id text NOT NULL, version integer NOT NULL, content_hash text, at timestamptz NOT NULL DEFAULT clock_timestamp());
  CREATE FUNCTION _chaos_audit() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'INSERT' OR NEW.sync_write_id IS DISTINCT FROM OLD.sync_write_id THEN
      INSERT INTO _chaos_kith_writes (contact_id, version, content_hash) VALUES (NEW.contact_id::text, NEW.version, NEW.content_hash);
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER _chaos_audit AFTER INSERT OR UPDATE ON contacts FOR EACH ROW EXECUTE FUNCTION _chaos_audit();
`;

function contact(i: number, id: string): CanonicalContact {
  return {
    contact_id: id, canonical_name: `Chaos Person${i}`, first_name: 'Chaos', last_name: `Person${i}`,
    emails: [`chaos${i}@example.org`], phones: [], company: null, job_title: 'Start', category_code: null,
    subcategory_code: null, notes: null, llm_context: null, deleted_at: null,
    sync_metadata: { version: 1, last_updated: '2026-01-27T10:00:00.000Z', last_updated_by: 'kith' },
  };
}

/** N canonical contacts, written to every target by the sweep, settled; then the write audit starts. */
export async function seedContacts(h: ChaosHub, n: number, timeoutMs: number): Promise<Seeded> {
  const contacts = Array.from({ length: n }, (_, i) => contact(i, randomUUID()));
  await h.db.tx((q) => writeContacts(q, contacts, Date.now()));
  await syncAllContacts(h.hub);
  await h.settle(timeoutMs);
  await h.supabase.sql(AUDIT_SQL);
  return { ids: contacts.map((c) => c.contact_id), twentyBaseline: h.twenty.requests.length };
}

export interface SentEdit {
  contactId: string;
  system: 'twenty' | 'supabase';
  seq: number;
  at: number;
}

/** Edits sent at a steady rate, round-robin over the contacts, until stopped. */
export class EditLoad {
  readonly sent: SentEdit[] = [];
  readonly errors: string[] = [];
  private seq = 0;
  private running = true;
  private done: Promise<void>;

  constructor(
    private readonly h: ChaosHub,
    private readonly ids: readonly string[],
    private readonly ratePerSecond: number,
  ) {
    this.done = this.loop();
  }

  /** Send again after stop(), at the same rate. */
  resume(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    const started = performance.now();
    for (let i = 0; this.running; i++) {
      const wait = started + (i * 1000) / this.ratePerSecond - performance.now();
      if (wait > 0) await sleep(wait);
      if (!this.running) break;
      await this.editOne().catch((err: Error) => {
        if (this.errors.length < 20) this.errors.push(err.message);
      });
    }
  }

  /** One edit of the next contact; the change counts as sent once the system has it. */
  async editOne(): Promise<SentEdit> {
    const seq = ++this.seq;
    const index = seq % this.ids.length;
    const contactId = this.ids[index]!;
    const system = editedIn(index);
    if (system === 'twenty') this.h.twenty.editPerson(contactId, { jobTitle: twentyValue(seq) });
    else await this.h.supabase.sql(`UPDATE contacts SET last_name = $2, canonical_name = 'Chaos ' || $2 WHERE contact_id = $1`, [contactId, supabaseValue(seq)]);
    const e = { contactId, system, seq, at: Date.now() };
    this.sent.push(e);
    return e;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** The last change sent for each contact, up to now. */
  latest(upToSeq = Infinity): Map<string, SentEdit> {
    const out = new Map<string, SentEdit>();
    for (const e of this.sent) if (e.seq <= upToSeq) out.set(e.contactId, e);
    return out;
  }
}

/** Each system's copy of the edited field (the sequence number it carries), by contact. */
async function copies(h: ChaosHub, ids: readonly string[]): Promise<{ canonical: Map<string, number>; twenty: Map<string, number>; supabase: Map<string, number> }> {
  const canonical = new Map<string, number>();
  const twenty = new Map<string, number>();
  const supabase = new Map<string, number>();
  const rows = await h.supabase.sql<{ contact_id: string; job_title: string | null; last_name: string | null }>('SELECT contact_id::text, job_title, last_name FROM contacts');
  const sb = new Map(rows.map((r) => [r.contact_id, r]));
  for (const [i, id] of ids.entries()) {
    const twentyEdited = editedIn(i) === 'twenty';
    const c = await h.hub.systems.canonical.get(id);
    canonical.set(id, seqOf(twentyEdited ? c?.job_title : c?.last_name));
    const p = h.twenty.getPerson(id) as { jobTitle?: string; name?: { lastName?: string } } | undefined;
    twenty.set(id, seqOf(twentyEdited ? p?.jobTitle : p?.name?.lastName));
    supabase.set(id, seqOf(twentyEdited ? sb.get(id)?.job_title : sb.get(id)?.last_name));
  }
  return { canonical, twenty, supabase };
}

/** Changes among `expected` that some system does not hold yet (nor a later change of the same contact). */
export async function missingChanges(h: ChaosHub, ids: readonly string[], expected: ReadonlyMap<string, SentEdit>, exact = false): Promise<{ missing: number; examples: string[] }> {
  const c = await copies(h, ids);
  let missing = 0;
  const examples: string[] = [];
  for (const [id, e] of expected) {
    const behind = (['canonical', 'twenty', 'supabase'] as const).filter((s) => (exact ? c[s].get(id) !== e.seq : (c[s].get(id) ?? -1) < e.seq));
    if (!behind.length) continue;
    missing++;
    if (examples.length < 5) examples.push(`contact ${id}: change ${e.seq} (edited in ${e.system}) is not in ${behind.map((s) => `${s} (holds change ${c[s].get(id)})`).join(', ')}`);
  }
  return { missing, examples };
}

/** Poll until every change in `expected` is in every system; the time it took, or null when it did not happen within the timeout. */
export async function waitForChanges(h: ChaosHub, ids: readonly string[], expected: ReadonlyMap<string, SentEdit>, timeoutMs: number, signal: AbortSignal): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if ((await missingChanges(h, ids, expected)).missing === 0) return (Date.now() - t0) / 1000;
    await sleep(100, signal);
  }
  return null;
}

export interface Verdict {
  lost: number;
  duplicated: number;
  driftPct: number | null;
  discrepancies: string[];
  details: Record<string, unknown>;
}

/**
 * After settling: every contact's last change in the canonical store and every target, drift
 * 0 % by the hub's own drift measure, no pending outbox row, no open conflict, no job failed for
 * good, and no write repeated: Supabase written at most once per (contact, version, content),
 * Twenty patched at most once per change made in Supabase.
 */
export async function verify(h: ChaosHub, seeded: Seeded, load: EditLoad): Promise<Verdict> {
  const discrepancies: string[] = [];
  const latest = load.latest();
  const { missing: lost, examples } = await missingChanges(h, seeded.ids, latest, true);
  if (lost) {
    discrepancies.push(`${lost} of ${latest.size} contacts' last change is missing from a system: ${examples.join('; ')}`);
    const first = /contact (\S+):/.exec(examples[0] ?? '')?.[1];
    if (first) process.stderr.write(`[chaos] the jobs about contact ${first} (times in ms mod 100,000):\n  ${(await traceContact(h, first)).join('\n  ')}\n  edits: ${load.sent.filter((e) => e.contactId === first).map((e) => `${e.system} ${e.seq} at ${e.at % 100_000}`).join(', ')}\n`);
  }

  const drift = await measureDrift(h.hub, { store: false, sampleSize: 3 });
  const driftPct = Math.max(0, ...drift.map((d) => d.driftPct));
  for (const d of drift) {
    if (d.driftPct > 0 || d.missing > 0) discrepancies.push(`drift ${d.system}: ${d.differing} of ${d.expected} contacts differ from canonical (${d.driftPct} %), ${d.missing} missing; e.g. ${JSON.stringify(d.samples.slice(0, 2))}`);
  }
  const pending = await listPending(h.db);
  if (pending.length) discrepancies.push(`contact_outbox: ${pending.length} change(s) not propagated, e.g. ${pending[0]!.contactId} → ${pending[0]!.target} (${pending[0]!.lastError ?? 'no error recorded'})`);
  const conflicts = await countOpenConflicts(h.db);
  if (conflicts) discrepancies.push(`sync_conflicts: ${conflicts} open conflict(s)`);
  const failed = await h.failedJobs();
  if (Object.keys(failed).length) {
    const reasons: string[] = [];
    for (const q of Object.keys(failed)) {
      for (const j of (await h.queue(q).getJobs(['failed'], 0, 2)).filter(Boolean)) reasons.push(`${q} ${j.id} after ${j.attemptsMade} attempt(s), ${j.attemptsStarted ?? '?'} started (added ${new Date(j.timestamp).toISOString()}, failed ${j.finishedOn ? new Date(j.finishedOn).toISOString() : '?'}): ${j.failedReason}`);
    }
    discrepancies.push(`jobs failed for good: ${JSON.stringify(failed)}; ${reasons.join('; ')}`);
  }

  // Writes repeated beyond idempotent upserts.
  const sbDup = await h.supabase.sql<{ n: string }>('SELECT coalesce(sum(n - 1), 0)::text AS n FROM (SELECT count(*) AS n FROM _chaos_kith_writes GROUP BY contact_id, version, content_hash) g');
  const supabaseDup = Number(sbDup[0]?.n ?? 0);
  const allowed = new Map<string, number>();
  for (const e of load.sent) if (e.system === 'supabase') allowed.set(e.contactId, (allowed.get(e.contactId) ?? 0) + 1);
  const patches = new Map<string, number>();
  const patchTimes = new Map<string, number[]>();
  for (const r of h.twenty.requests.slice(seeded.twentyBaseline)) {
    const m = /^\/rest\/people\/([^/]+)$/.exec(r.path);
    if (r.method === 'PATCH' && m && r.status >= 200 && r.status < 300) {
      patches.set(m[1]!, (patches.get(m[1]!) ?? 0) + 1);
      patchTimes.set(m[1]!, [...(patchTimes.get(m[1]!) ?? []), r.at]);
    }
  }
  let twentyDup = 0;
  const dupExamples: string[] = [];
  for (const [id, n] of patches) {
    const extra = Math.max(0, n - (allowed.get(id) ?? 0));
    twentyDup += extra;
    if (extra && dupExamples.length < 3) {
      const edits = load.sent.filter((e) => e.contactId === id).map((e) => `${e.system[0]}${e.seq}@${e.at % 100_000}`);
      dupExamples.push(`contact ${id}: ${n} PATCH(es) at ${patchTimes.get(id)!.map((t) => t % 100_000).join(',')} for edits ${edits.join(',')}`);
    }
  }
  if (supabaseDup) discrepancies.push(`Supabase: ${supabaseDup} write(s) of a (contact, version, content) Kith had already written`);
  const firstDup = /contact (\S+):/.exec(dupExamples[0] ?? '')?.[1];
  if (firstDup) process.stderr.write(`[chaos] the jobs about contact ${firstDup} (times in ms mod 100,000):\n  ${(await traceContact(h, firstDup)).join('\n  ')}\n`);
  if (twentyDup) discrepancies.push(`Twenty: ${twentyDup} PATCH(es) beyond one per change made in Supabase: ${dupExamples.join('; ')}`);
  if (load.errors.length) discrepancies.push(`the edit driver failed ${load.errors.length} time(s): ${load.errors[0]}`);

  const sbWrites = await h.supabase.sql<{ n: string }>('SELECT count(*)::text AS n FROM _chaos_kith_writes');
  const supabaseEdited = seeded.ids.filter((_, i) => editedIn(i) === 'supabase');
  const writeBacks = await h.supabase.sql<{ n: string }>('SELECT count(*)::text AS n FROM _chaos_kith_writes WHERE contact_id = ANY($1)', [supabaseEdited]);
  return {
    lost,
    duplicated: supabaseDup + twentyDup,
    driftPct,
    discrepancies,
    details: {
      contacts: seeded.ids.length,
      changes_sent: load.sent.length,
      changes_from_twenty: load.sent.filter((e) => e.system === 'twenty').length,
      changes_from_supabase: load.sent.filter((e) => e.system === 'supabase').length,
      supabase_writes: Number(sbWrites[0]?.n ?? 0),
      supabase_writes_to_contacts_edited_there: Number(writeBacks[0]?.n ?? 0),
      twenty_patches: [...patches.values()].reduce((a, b) => a + b, 0),
      // Redis holds writes back while a slow AOF fsync runs (a busy disk): job locks may then lapse.
      redis_slow_fsyncs: (h.redis.proc.output().match(/fsync is taking too long/g) ?? []).length,
      // Seconds in which a worker's event loop was held back over a quarter of the job lock (its renewals late), the longest delay, and the stalls it saw.
      worker_lock_renewals: Object.fromEntries(
        Object.entries(h.workers).map(([k, p]) => [k, p ? { late_seconds: p.lockLog.loopDelaysMs.length, longest_loop_delay_ms: Math.max(0, ...p.lockLog.loopDelaysMs), stalls_seen: p.lockLog.stalls } : null]),
      ),
      drift: Object.fromEntries(drift.map((d) => [d.system, { pct: d.driftPct, differing: d.differing, expected: d.expected, orphans: d.orphans }])),
    },
  };
}
