import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadHubConfig } from '../../../src/config/hub.config.js';
import { Alerter } from '../../../src/hub/services/alerts.service.js';
import { createLogger } from '../../../src/log/logger.js';

const log = createLogger('silent');

describe('alerts in one process (a hub without Redis)', () => {
  it('sends the first occurrence, counts repeats, reminds after the interval and recovers once', async () => {
    let now = 1_000_000;
    const a = new Alerter(log, undefined, { remindEveryMs: 60_000, clock: () => now });
    const conflict = { kind: 'drift' as const, subject: 'twenty', message: 'twenty: 9 % of contacts differ' };
    expect(await a.raise(conflict)).toBe(true);
    for (let i = 0; i < 30; i++) expect(await a.raise(conflict)).toBe(false);
    // Another subject is its own condition.
    expect(await a.raise({ ...conflict, subject: 'supabase' })).toBe(true);
    now += 60_000;
    expect(await a.raise(conflict)).toBe(true);
    await a.clear('drift', 'twenty');
    await a.clear('drift', 'twenty');
    expect(a.raised.map((x) => [x.subject, x.state, x.repeats])).toEqual([
      ['twenty', 'raised', 1],
      ['supabase', 'raised', 1],
      ['twenty', 'reminder', 31],
      ['twenty', 'recovered', 32],
    ]);
    expect(await a.raise(conflict)).toBe(true);
  });
});

describe('KITH_ALERT_REMIND_EVERY', () => {
  it('is 15 minutes by default and reads a duration', () => {
    expect(loadHubConfig({}).alertRemindEveryMs).toBe(15 * 60_000);
    expect(loadHubConfig({ KITH_ALERT_REMIND_EVERY: '1h' }).alertRemindEveryMs).toBe(3_600_000);
  });

  it('refuses a value that is not a duration from 1 s to 24 h, naming the variable', () => {
    for (const bad of ['soon', '0', '2d', '25h']) {
      expect(() => loadHubConfig({ KITH_ALERT_REMIND_EVERY: bad })).toThrow(ConfigError);
      expect(() => loadHubConfig({ KITH_ALERT_REMIND_EVERY: bad })).toThrow(/KITH_ALERT_REMIND_EVERY/);
    }
  });
});
