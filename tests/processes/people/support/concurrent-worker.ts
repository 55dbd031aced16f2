/**
 * One OS process of the concurrency proof (tests/people/concurrency.test.ts).
 *   ingest <url> <worker> <events> <gate>  resolve participants + ingest events in small transactions;
 *                                   event ranges of different workers overlap on purpose. After the
 *                                   first transaction it waits (bounded) for the gate file, so the
 *                                   first merge always lands while ingestion is still under way
 *   merge <url> <rounds> <gate>     merge live people pairwise meanwhile (creating the gate file after
 *                                   the first merge), and undo one merge
 * Prints one JSON line; exits non-zero on any unexpected error.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { openDb } from '../../../../src/db/open-db.js';
import { interactionsFromEvent } from '../../../../src/domain/people/interaction-rules.js';
import { InvalidInputError } from '../../../../src/errors.js';
import { ingestInteractionsIn } from '../../../../src/people/ingest.service.js';
import { mergePeople, unmerge } from '../../../../src/people/merge.service.js';
import { resolveParticipants } from '../../../../src/people/resolve.service.js';
import type { InteractionEvent } from '../../../../src/sources/source-event.js';
import { concurrentEvent, SELF } from './concurrent-events.js';

const [role, url, a, b, gateArg] = process.argv.slice(2);
const db = await openDb(url!.startsWith('sqlite:') ? { engine: 'sqlite', path: url!.slice(7) } : { engine: 'postgres', url: url! }, { migrate: false });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitForGate(path: string): Promise<void> {
  for (let i = 0; i < 1200 && !existsSync(path); i++) await sleep(25);
  if (!existsSync(path)) throw new Error(`gate ${path} never opened: the merger did not merge within 30 s`);
}
try {
  if (role === 'ingest') {
    const worker = Number(a);
    const n = Number(b);
    let inserted = 0;
    for (let start = 0; start < n; start += 10) {
      const events: InteractionEvent[] = [];
      for (let k = start; k < Math.min(n, start + 10); k++) events.push(concurrentEvent(worker * Math.floor(n / 2) + k));
      inserted += await db.tx(async (q) => {
        const planned = events.flatMap((e) => interactionsFromEvent(e, SELF));
        const ids = await resolveParticipants(q, 'gmail', planned.map((p) => p.participant), SELF);
        const rows = planned.flatMap((p, i) => (ids[i] ? [{ ...p.row, personId: ids[i]! }] : []));
        return (await ingestInteractionsIn(q, rows)).inserted;
      });
      if (start === 0) await waitForGate(gateArg!);
    }
    console.log(JSON.stringify({ role, worker, inserted }));
  } else if (role === 'merge') {
    const gate = b!;
    const merges: string[] = [];
    let atFirstMerge: number | null = null;
    let keeper: string | null = null;
    // Start once the ingesters have created people (bounded wait), then merge while they run.
    for (let i = 0; i < 400; i++) {
      const n = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM people');
      if (Number(n?.n ?? 0) >= 4) break;
      await sleep(50);
    }
    for (let round = 0; round < Number(a); round++) {
      await sleep(40);
      // Always into the same keeper, so the first merge stays undoable (its keeper is never merged away).
      const live = await db.all<{ id: string }>('SELECT id FROM people WHERE merged_into IS NULL ORDER BY id LIMIT 3');
      keeper ??= live[0]?.id ?? null;
      const other = live.find((p) => p.id !== keeper);
      if (!keeper || !other) continue;
      try {
        merges.push((await mergePeople(db, keeper, [other.id])).auditId);
        if (atFirstMerge === null) {
          atFirstMerge = Number((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM interactions'))?.n ?? 0);
          writeFileSync(gate, 'merged');
        }
      } catch (err) {
        if (!(err instanceof InvalidInputError)) throw err; // lost a race with another merge: fine
      }
    }
    if (!existsSync(gate)) writeFileSync(gate, 'no merge'); // never leave the ingesters waiting
    if (merges.length) await unmerge(db, merges[0]!);
    console.log(JSON.stringify({ role, merges: merges.length, atFirstMerge }));
  } else throw new Error(`unknown role ${role}`);
} finally {
  await db.close();
}
