/**
 * One OS process of the concurrency proof (tests/people/concurrency.test.ts).
 *   ingest <url> <worker> <events>  resolve participants + ingest events in small transactions;
 *                                   event ranges of different workers overlap on purpose
 *   merge <url> <rounds>            merge live people pairwise meanwhile, and undo one merge
 * Prints one JSON line; exits non-zero on any unexpected error.
 */
import { openDb } from '../../../src/db/open-db.js';
import { interactionsFromEvent } from '../../../src/domain/people/interaction-rules.js';
import { InvalidInputError } from '../../../src/errors.js';
import { ingestInteractionsIn } from '../../../src/people/ingest.service.js';
import { mergePeople, unmerge } from '../../../src/people/merge.service.js';
import { resolveParticipants } from '../../../src/people/resolve.service.js';
import type { InteractionEvent } from '../../../src/sources/source-event.js';
import { concurrentEvent, SELF } from './concurrent-events.js';

const [role, url, a, b] = process.argv.slice(2);
const db = await openDb(url!.startsWith('sqlite:') ? { engine: 'sqlite', path: url!.slice(7) } : { engine: 'postgres', url: url! }, { migrate: false });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
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
    }
    console.log(JSON.stringify({ role, worker, inserted }));
  } else if (role === 'merge') {
    const merges: string[] = [];
    let atFirstMerge: number | null = null;
    // Start once the ingesters have created people (bounded wait), then merge while they run.
    for (let i = 0; i < 400; i++) {
      const n = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM people');
      if (Number(n?.n ?? 0) >= 4) break;
      await sleep(50);
    }
    for (let round = 0; round < Number(a); round++) {
      await sleep(40);
      const live = await db.all<{ id: string }>('SELECT id FROM people WHERE merged_into IS NULL ORDER BY id LIMIT 2');
      if (live.length < 2) continue;
      try {
        merges.push((await mergePeople(db, live[0]!.id, [live[1]!.id])).auditId);
        atFirstMerge ??= Number((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM interactions'))?.n ?? 0);
      } catch (err) {
        if (!(err instanceof InvalidInputError)) throw err; // lost a race with another merge: fine
      }
    }
    if (merges.length) await unmerge(db, merges[0]!);
    console.log(JSON.stringify({ role, merges: merges.length, atFirstMerge }));
  } else throw new Error(`unknown role ${role}`);
} finally {
  await db.close();
}
