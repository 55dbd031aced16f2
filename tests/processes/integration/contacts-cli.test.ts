import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEnv, seedContact, startHubEnv } from '../../support/hub/hub-kit.js';
import { runKith } from '../../support/cli.js';

/**
 * `kith contacts drift | sync-all [--dry-run] | sync <id>` as real processes against a running
 * hub (worker process, Twenty and Supabase emulators, local canonical store).
 */
interface Drift {
  system: string;
  driftPct: number;
  expected: number;
  missing: number;
}
interface Sweep {
  dryRun: boolean;
  fannedOut: number;
  systems: { system: string; role: string; counts: Record<string, number> }[];
}

const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').pop()!) as T;

describe('kith contacts sync, sync-all and drift (processes)', () => {
  let h: HubEnv;
  const contacts = [seedContact(1), seedContact(2), seedContact(3)];
  beforeAll(async () => {
    h = await startHubEnv({ canonical: 'local' });
    for (const c of contacts) await h.hub.systems.canonical.put(c, 0);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('drift reports every target missing what canonical holds', async () => {
    const r = await runKith(['contacts', 'drift', '--json'], h.env, 60_000);
    expect(r.code, r.stderr).toBe(0);
    const report = lastJson<Drift[]>(r.stdout);
    expect(report.map((d) => d.system).sort()).toEqual(['supabase', 'twenty']);
    for (const d of report) expect(d).toMatchObject({ expected: 3, missing: 3, driftPct: 100 });
  }, 70_000);

  it('sync-all --dry-run says what it would write and writes nothing', async () => {
    const r = await runKith(['contacts', 'sync-all', '--dry-run', '--json'], { ...h.env, REDIS_URL: undefined }, 60_000);
    expect(r.code, r.stderr).toBe(0);
    const report = lastJson<Sweep>(r.stdout);
    expect(report.dryRun).toBe(true);
    const canonical = report.systems.find((s) => s.role === 'canonical')!;
    expect(canonical.counts).toEqual({ supabase: 3, twenty: 3 });
    expect(h.twenty.people()).toEqual([]);
    expect(await h.supabase.sql('SELECT contact_id FROM contacts')).toEqual([]);
  }, 70_000);

  it('sync <id> waits for every target and says what each did', async () => {
    const id = contacts[0]!.contact_id;
    const r = await runKith(['contacts', 'sync', id, '--timeout', '40'], h.env, 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Contact ${id} v1 → `));
    expect(r.stdout).toMatch(/twenty\s+written/);
    expect(r.stdout).toMatch(/supabase\s+written/);
    expect(h.twenty.getPerson(id)).toBeDefined();
    // Again, same version: the flow id is deterministic, so nothing runs or is written twice.
    const writes = () => h.twenty.requests.filter((x) => x.method !== 'GET').length;
    const before = writes();
    const again = await runKith(['contacts', 'sync', id, '--timeout', '40'], h.env, 60_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.split('\n')[0]).toBe(r.stdout.split('\n')[0]);
    expect(writes()).toBe(before);
    const json = await runKith(['contacts', 'sync', id, '--timeout', '40', '--json'], h.env, 60_000);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as { results: { target: string }[] };
    expect(report).toMatchObject({ contact_id: id, version: 1, fanout: `${id}.v1`, waited: true, failed: [] });
    expect(report.results.map((x) => x.target).sort()).toEqual(['supabase', 'twenty']);
    for (const x of report.results) expect(x).toMatchObject({ written: 1, job: `${id}.v1.${x.target}` });
    expect(writes()).toBe(before);
  }, 130_000);

  it('sync <id> with one target configured waits for that target\'s job (no flow parent) and says what it did', async () => {
    const id = contacts[1]!.contact_id;
    const supabaseOnly = { ...h.env, TWENTY_API_URL: undefined, TWENTY_API_KEY: undefined };
    const r = await runKith(['contacts', 'sync', id, '--timeout', '40'], supabaseOnly, 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Contact ${id} v1 → supabase (job ${id}.v1)`);
    expect(r.stdout).toMatch(/supabase\s+written/);
    expect(r.stdout).not.toMatch(/twenty/);
    expect(await h.supabase.sql('SELECT contact_id FROM contacts WHERE contact_id = $1', [id])).toEqual([{ contact_id: id }]);
    expect(h.twenty.getPerson(id)).toBeUndefined();
  }, 70_000);

  it('sync-all propagates the rest, after which drift is zero', async () => {
    const r = await runKith(['contacts', 'sync-all', '--json'], h.env, 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson<Sweep>(r.stdout).dryRun).toBe(false);
    await h.settle(40_000);
    expect(h.twenty.people().map((p) => p.id).sort()).toEqual(contacts.map((c) => c.contact_id).sort());
    const drift = lastJson<Drift[]>((await runKith(['contacts', 'drift', '--json'], h.env, 60_000)).stdout);
    for (const d of drift) expect(d).toMatchObject({ expected: 3, missing: 0, driftPct: 0 });
  }, 130_000);

  it('sync <id> without REDIS_URL exits 1 naming the variable', async () => {
    const r = await runKith(['contacts', 'sync', contacts[1]!.contact_id], { ...h.env, REDIS_URL: undefined }, 60_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/REDIS_URL/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // one line, no stack trace
  }, 70_000);
});
