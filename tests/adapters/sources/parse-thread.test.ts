import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb, type TestDb } from '../../support/test-env.js';
import { NotFoundError } from '../../../src/errors.js';
import { parser as mboxParser } from '../../../src/sources/mbox/mbox.parser.js';
import type { ThreadEvent } from '../../../src/sources/parse-thread/protocol.js';
import { activeParseThreads, parseInThread } from '../../../src/sources/parse-thread/thread-parse.js';
import { interactionsFromEvent } from '../../../src/domain/people/interaction-rules.js';
import { loadParser } from '../../../src/sources/registry.js';
import { collectSource } from '../../../src/sync/collect-source.service.js';
import type { ConfiguredSource } from '../../../src/sync/kith-config.js';

const MBOX = join(import.meta.dirname, '../../fixtures/sources/mbox/nasty.mbox');
const WHATSAPP = join(import.meta.dirname, '../../fixtures/sources/whatsapp/WhatsApp Chat with Book Club.txt');

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('parseInThread', () => {
  it('yields exactly the events of the parser run in place, in order, through a one-batch window', async () => {
    const inPlace = await collect(mboxParser.parse({ path: MBOX }));
    // Two events per message and one unacknowledged message at a time: the thread must wait.
    const threaded = await collect(parseInThread('mbox', { path: MBOX }, { batch: 2, window: 1 }));
    expect(inPlace.length).toBeGreaterThan(5);
    expect(threaded).toEqual(inPlace);
    expect(activeParseThreads()).toBe(0);
  });

  it.each([
    ['imessage', 'examples/exports/imessage/chat.db'],
    ['android-calls', 'tests/fixtures/sources/android-calls/calls.xml'],
  ] as const)('%s (native SQLite reader / XML stream) works on a thread too', async (type, rel) => {
    const path = join(import.meta.dirname, '../../..', rel);
    const inPlace = await collect((await loadParser(type)).parse({ path }));
    expect(inPlace.filter((e) => e.kind !== 'cursor').length).toBeGreaterThan(0);
    expect(await collect(parseInThread(type, { path }))).toEqual(inPlace);
  });

  it('with plan, an interaction event arrives as the rows the interaction rules give for it; the rest unchanged', async () => {
    const self = { emails: ['me@example.com'], phones: ['+14155550100'] };
    const inPlace = await collect(mboxParser.parse({ path: MBOX }));
    const expected = inPlace.map((e) => (e.kind === 'interaction' ? { kind: 'planned', externalId: e.externalId, planned: interactionsFromEvent(e, self, 'US') } : e));
    expect(expected.some((e) => e.kind === 'planned')).toBe(true);
    expect(await collect(parseInThread('mbox', { path: MBOX }, { plan: { self, region: 'US' } }))).toEqual(expected);
  });

  it('resumes from a cursor like the parser does', async () => {
    const all = await collect(mboxParser.parse({ path: MBOX }));
    const mark = all.find((e) => e.kind === 'cursor');
    if (mark?.kind !== 'cursor') throw new Error('fixture has no cursor mark');
    const inPlace = await collect(mboxParser.parse({ path: MBOX, cursor: mark.cursor }));
    expect(await collect(parseInThread('mbox', { path: MBOX, cursor: mark.cursor }))).toEqual(inPlace);
  });

  it('rethrows a parser error with its class and the path in its message', async () => {
    const missing = join(tmpdir(), 'kith-no-such-dir', 'mail.mbox');
    const err = await collect(parseInThread('mbox', { path: missing })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain(missing);
  });

  it('stops the thread when the reader stops early', async () => {
    const it = parseInThread('mbox', { path: MBOX }, { batch: 1, window: 1 });
    const firstTwo: ThreadEvent[] = [];
    let duringParse = 0;
    for await (const e of it) {
      firstTwo.push(e);
      duringParse = activeParseThreads();
      if (firstTwo.length === 2) break;
    }
    expect(firstTwo).toHaveLength(2);
    expect(duringParse).toBe(1);
    // Leaving the loop ran the generator's finally, which terminated the thread and waited for it.
    expect(activeParseThreads()).toBe(0);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });
});

describe('collectSource with the parse thread', () => {
  let dbs: TestDb[] = [];
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kith-thread-'));
  });
  afterEach(async () => {
    for (const t of dbs) await t.dispose();
    dbs = [];
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['mbox', MBOX],
    ['whatsapp', WHATSAPP],
  ] as const)('%s: imports the same people, interactions and cursor on a thread as in place', async (type, path) => {
    const source = { id: type, type, path } as ConfiguredSource;
    const self = { emails: ['me@example.com'], phones: ['+14155550100'], names: [] };
    const snapshot = async (t: TestDb) => ({
      interactions: await t.db.all('SELECT source_type, external_id, occurred_at, title, conversation_key, entity_ref FROM interactions ORDER BY source_type, external_id, entity_ref'),
      people: (await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM people'))!.n,
      cursor: await t.db.get('SELECT cursor FROM sync_state'),
    });
    const results = [];
    const states = [];
    for (const mode of ['never', 'always'] as const) {
      const t = await freshDb('sqlite');
      dbs.push(t);
      results.push(await collectSource(t.db, source, self, { parseThread: mode }));
      states.push(await snapshot(t));
    }
    expect(results[0]!.result.interactions.inserted).toBeGreaterThan(0);
    expect(results[1]).toEqual(results[0]);
    expect(states[1]).toEqual(states[0]);
  });
});
