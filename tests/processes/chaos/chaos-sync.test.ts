import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../../chaos/run.js';
import { scenarios } from '../../../chaos/scenarios/sync.scenario.js';
import { removeDatasets } from '../../../chaos/support/sync-deployment.js';
import { postgresUrl } from '../../support/test-env.js';

/**
 * The fast subset of the sync's fault-injection scenarios (chaos/scenarios/sync.scenario.ts,
 * docs/reliability.md): each runs the real processes on loopback with small data, injects its
 * fault, and must pass on SQLite and PostgreSQL. `npm run chaos -- all` runs the whole suite.
 */
const fast = scenarios.filter((s) => s.fast);

describe('sync under faults (fast subset)', () => {
  afterAll(removeDatasets);

  it('has the scenarios this file promises', () => {
    expect(fast.map((s) => s.name).sort()).toEqual(['kill-source-worker', 'redis-restart', 'two-syncs']);
  });

  for (const s of fast) {
    for (const engine of s.engines) {
      it(`${s.name} on ${engine}: ${s.description}`, async () => {
        const lines: string[] = [];
        const r = await runScenario(s, engine, { fast: true, postgresUrl: engine === 'postgres' ? postgresUrl() : undefined, log: (m) => lines.push(m) });
        expect(r.passed, `${r.discrepancies.join('\n')}\n\nprogress:\n${lines.join('\n')}\n\nresult: ${JSON.stringify(r)}`).toBe(true);
        expect(r.lost).toBe(0);
        expect(r.duplicated).toBe(0);
      }, (s.budgetSeconds(true) + 60) * 1000);
    }
  }
});
