import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestInteractions, resolveParticipants } from '../../../src/people/index.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';
import { makeRows } from '../../support/people/people-fixtures.js';

const BIN = join(import.meta.dirname, '../../../bin/kith.mjs');
const run = promisify(execFile);
const self = { emails: ['me@example.com'], phones: [] };

async function kith(url: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { cwd: tmpdir(), env: { ...process.env, DATABASE_URL: url, KITH_LOG_LEVEL: 'silent' }, timeout: 90_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe.each(ENGINES)('kith people / kith stats CLI (%s)', (engine) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await freshDb(engine);
  });
  afterEach(async () => {
    await t.dispose();
  });

  // Each CLI start costs seconds of tsx transpiling on a busy 2-core box: calls are kept few.
  it('lists, shows, merges, unmerges, splits, reviews and verifies', { timeout: 240_000 }, async () => {
    const [ada, bob] = (await t.db.tx((q) => resolveParticipants(q, 'gmail', [{ email: 'Ada <ada@x.org>' }, { email: 'Bob <bob@y.com>' }], self))) as string[];
    await ingestInteractions(t.db, makeRows([ada!, bob!], 40).map((r) => ({ ...r, sourceType: 'gmail' as const, entityRef: r.personId === ada ? 'email:ada@x.org' : 'email:bob@y.com' })));

    const list = await kith(t.url, 'people', 'list', '--json');
    expect(list.code).toBe(0);
    const people = JSON.parse(list.stdout) as { id: string; name: string; counts: { email: number } }[];
    expect(people.map((p) => p.name).sort()).toEqual(['Ada', 'Bob']);
    expect(people.reduce((s, p) => s + p.counts.email, 0)).toBe(40);

    const live = async () => Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM people WHERE merged_into IS NULL'))!.n);
    const merged = await kith(t.url, 'people', 'merge', ada!, bob!, '--json');
    expect(merged.code).toBe(0);
    const { auditId } = JSON.parse(merged.stdout) as { auditId: string };
    expect(await live()).toBe(1);
    const undone = await kith(t.url, 'people', 'unmerge', auditId);
    expect(undone.stdout).toMatch(/Restored/);
    expect(await live()).toBe(2);

    await t.db.run('UPDATE people SET email_count = 999 WHERE id = ?', [ada!]);
    const bad = await kith(t.url, 'stats', 'verify');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`${ada}.*email_count cached 999 computed \\d+`));
    if (engine === 'postgres') return;

    const show = JSON.parse((await kith(t.url, 'people', 'show', ada!, '--json')).stdout) as { entities: { id: string }[]; emails: string[] };
    expect(show.entities.map((e) => e.id)).toEqual(['gmail:email:ada@x.org']);
    expect(show.emails).toEqual(['ada@x.org']);

    expect((await kith(t.url, 'stats', 'verify', '--fix')).code).toBe(0);
    const verify = await kith(t.url, 'stats', 'verify', '--json');
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ checkedPeople: 2, discrepancies: [], remaining: 0 });

    const split = await kith(t.url, 'people', 'split', ada!, '--entities', 'gmail:email:nobody@x.org');
    expect(split.code).toBe(1);
    expect(split.stderr.trim().split('\n')).toEqual(['kith: split: entity gmail:email:nobody@x.org not found']);
    expect((await kith(t.url, 'people', 'review')).stdout).toMatch(/Nothing to review/);
  });

  it.runIf(engine === 'sqlite')('has --help', { timeout: 240_000 }, async () => {
    for (const args of [['people'], ['people', 'split'], ['stats', 'verify']]) {
      const r = await kith(t.url, ...args, '--help');
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: kith/);
    }
  });
});
