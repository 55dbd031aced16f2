import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/errors.js';
import { parseParams, peopleQuery, graphQuery } from '../../../src/web/api-params.js';
import { channelOf, monthlyByChannel } from '../../../src/web/monthly-by-channel.js';

describe('interactions per month by channel', () => {
  it('folds sources into channels and fills the months between with zeros', () => {
    const rows = [
      { sourceType: 'gmail', occurredAt: Date.UTC(2025, 10, 30, 23), n: 2 },
      { sourceType: 'whatsapp', occurredAt: Date.UTC(2025, 11, 1), n: 1 },
      { sourceType: 'slack', occurredAt: Date.UTC(2025, 11, 31), n: 3 },
      { sourceType: 'phone', occurredAt: Date.UTC(2026, 1, 1) },
    ];
    expect(monthlyByChannel(rows)).toEqual({ months: ['2025-11', '2025-12', '2026-01', '2026-02'], channels: { email: [2, 0, 0, 0], message: [0, 4, 0, 0], call: [0, 0, 0, 1] } });
  });
  it('is empty without interactions and ignores unknown source types', () => {
    expect(monthlyByChannel([])).toEqual({ months: [], channels: {} });
    expect(monthlyByChannel([{ sourceType: 'fax', occurredAt: 0 }])).toEqual({ months: ['1970-01'], channels: {} });
    expect(channelOf('calendar')).toBe('meeting');
    expect(channelOf('granola')).toBe('mention');
  });
});

describe('web API parameters', () => {
  it('defaults and coerces query strings', () => {
    expect(parseParams(peopleQuery, {})).toEqual({ sort: 'strength', dir: 'desc', page: 1, limit: 50 });
    expect(parseParams(graphQuery, { min_strength: '12.5', channel: 'call', limit: '10' })).toEqual({ min_strength: 12.5, channel: 'call', limit: 10 });
  });
  it('names the bad parameter', () => {
    expect(() => parseParams(peopleQuery, { page: '0' })).toThrow(InvalidInputError);
    expect(() => parseParams(peopleQuery, { dir: 'up' })).toThrow(/^dir: /);
    expect(() => parseParams(graphQuery, { limit: '1e9' })).toThrow(/^limit: /);
  });
});
