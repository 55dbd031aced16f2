import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../chaos/run.js';
import { scenarios } from '../../../chaos/scenarios/hub.scenario.js';
import { postgresUrl } from '../../support/test-env.js';

/**
 * The fast subset of the contact hub's fault-injection scenarios (`npm run chaos -- <name>
 * --fast`): each on SQLite and on PostgreSQL, with the real worker processes, an external Redis
 * and the Twenty and Supabase emulators. A failure prints every invariant that did not hold.
 */
const fast = scenarios.filter((s) => s.fast);

describe('contact hub under faults (fast subset)', () => {
  it('has the scenarios it runs', () => {
    expect(fast.map((s) => s.name).sort()).toEqual(['kill-hub-target-worker', 'target-storm']);
  });

  for (const s of fast) {
    for (const engine of s.engines) {
      it(`${s.name} on ${engine}`, async () => {
        const r = await runScenario(s, engine, { fast: true, postgresUrl: postgresUrl(), log: () => undefined });
        if (!r.passed) console.error(`${s.name} on ${engine} failed:\n  ${r.discrepancies.join('\n  ')}\n${JSON.stringify(r.details)}`);
        expect(r.discrepancies).toEqual([]);
        expect(r).toMatchObject({ passed: true, lost: 0, duplicated: 0, drift_pct: 0 });
        expect(r.recovery_s).not.toBeNull();
      }, (s.budgetSeconds(true) + 35) * 1000);
    }
  }
});
