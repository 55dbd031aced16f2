import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIcsParser, parser } from '../../../src/sources/ics/ics.parser.js';
import type { InteractionEvent, SourceEvent } from '../../../src/sources/source-event.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/sources/ics/nasty.ics');
const APRIL = Date.UTC(2024, 3, 1);
const ics = createIcsParser({ horizon: () => APRIL });

async function collect(src: AsyncIterable<SourceEvent>): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const e of src) out.push(e);
  return out;
}
const isDaily = (e: SourceEvent) => e.kind === 'interaction' && e.conversationKey === 'daily-forever-0009@google.com';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kith-ics-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ics parser', () => {
  it('expands, overrides, cancels and zones the nasty fixture exactly', async () => {
    const evs = await collect(ics.parse({ path: FIXTURE }));
    const ada = { email: 'ada@example.com', name: 'Ada Lovelace' };
    const me = { email: 'me@example.com' };
    const zoe = { email: 'zoe.muller@example.org', name: 'Müller, Zoë' };
    const weekly = { kind: 'interaction', sourceType: 'calendar', conversationKey: 'weekly-sync-0001@google.com', from: ada };
    const agenda = 'Agenda: - status - blockers, risks';
    const longUid = 'utc-lunch-0003-with-a-very-long-identifier-that-google-folds-over-several-lines@google.com';
    expect(evs.filter((e) => !isDaily(e))).toEqual([
      // 09:00 EST = 14:00Z; EXDATE drops 7 Mar; 14 Mar moved to 15:00 EDT; 21 Mar cancelled; 28 Mar 09:00 EDT = 13:00Z.
      { ...weekly, externalId: 'weekly-sync-0001@google.com/20240229T140000Z', timestamp: Date.UTC(2024, 1, 29, 14), title: 'Weekly sync', participants: [ada, me, zoe], snippet: agenda },
      { ...weekly, externalId: 'weekly-sync-0001@google.com/20240314T130000Z', timestamp: Date.UTC(2024, 2, 14, 19), title: 'Weekly sync (moved)', participants: [ada, me] },
      { ...weekly, externalId: 'weekly-sync-0001@google.com/20240328T130000Z', timestamp: Date.UTC(2024, 2, 28, 13), title: 'Weekly sync', participants: [ada, me, zoe], snippet: agenda },
      { kind: 'interaction', sourceType: 'calendar', externalId: 'allday-0002@google.com', timestamp: Date.UTC(2024, 2, 10), title: 'Conference day', conversationKey: 'allday-0002@google.com', participants: [], from: me },
      {
        kind: 'interaction', sourceType: 'calendar', externalId: longUid, timestamp: Date.UTC(2024, 2, 5, 16), title: 'Lunch', conversationKey: longUid,
        participants: [{ email: 'jane@example.net', name: 'Jane Doe' }, { email: 'yamada@example.jp' }], from: { email: 'me@example.com', name: 'Me' },
      },
      // Floating time: read in the local zone of the process.
      { kind: 'interaction', sourceType: 'calendar', externalId: 'floating-0004@google.com', timestamp: new Date(2024, 2, 6, 10).getTime(), title: 'Floating coffee', conversationKey: 'floating-0004@google.com', participants: [{ email: 'pat@example.com', name: "Pat O'Neil" }] },
      // TZID without VTIMEZONE: resolved as an IANA zone (CET = UTC+1).
      { kind: 'interaction', sourceType: 'calendar', externalId: 'berlin-0006@google.com', timestamp: Date.UTC(2024, 2, 7, 9), title: 'Berlin call', conversationKey: 'berlin-0006@google.com', participants: [{ email: 'andre@example.fr', name: 'André François' }] },
      { kind: 'skipped', file: FIXTURE, line: 99, reason: 'VEVENT without DTSTART' },
      { kind: 'skipped', file: FIXTURE, line: 124, reason: 'VEVENT without END' },
      { kind: 'interaction', sourceType: 'calendar', externalId: 'orphan-0008@google.com/20240320T150000Z', timestamp: Date.UTC(2024, 2, 20, 15), title: 'Instance of a series we do not have', conversationKey: 'orphan-0008@google.com', participants: [{ email: 'bob@example.com' }] },
    ]);
    // The endless daily series stops at the horizon: 1 Jan .. 31 Mar 2024.
    const daily = evs.filter(isDaily) as InteractionEvent[];
    expect(daily).toHaveLength(91);
    expect(daily.at(-1)!.timestamp).toBe(Date.UTC(2024, 2, 31, 8));
    expect(new Set(daily.map((e) => e.externalId)).size).toBe(91);
  });

  it('gives identical ids when parsed twice', async () => {
    const a = await collect(ics.parse({ path: FIXTURE }));
    const b = await collect(ics.parse({ path: FIXTURE }));
    expect(b).toEqual(a);
    const ids = a.flatMap((e) => (e.kind === 'interaction' ? [e.externalId] : []));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('caps the instances of one series and says so', async () => {
    const evs = await collect(createIcsParser({ horizon: () => APRIL, maxInstances: 10 }).parse({ path: FIXTURE }));
    expect(evs.filter(isDaily)).toHaveLength(10);
    expect(evs).toContainEqual({ kind: 'skipped', file: FIXTURE, line: 117, reason: 'recurring event expanded to its cap of 10 instances; later ones are not imported' });
  });

  it('uses now + 1 year as the default horizon', async () => {
    const path = join(dir, 'me.ics');
    const start = new Date(Date.now() - 24 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
    writeFileSync(path, `BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:m\r\nDTSTART;VALUE=DATE:${start}\r\nRRULE:FREQ=MONTHLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`);
    const n = (await collect(parser.parse({ path }))).filter((e) => e.kind === 'interaction').length;
    expect(n).toBeGreaterThanOrEqual(12);
    expect(n).toBeLessThanOrEqual(13);
  });

  it('skips an unparsable event and keeps the rest', async () => {
    const path = join(dir, 'me.ics');
    writeFileSync(path, 'BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20240101T100000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:b\nDTSTART this is not a property\nEND:VEVENT\nEND:VCALENDAR\n');
    const evs = await collect(ics.parse({ path }));
    expect(evs.map((e) => (e.kind === 'interaction' ? e.externalId : e.kind === 'skipped' ? `skip@${e.line}` : e.kind))).toEqual(['a', 'skip@6']);
  });

  it('throws an error naming a missing path', async () => {
    const path = join(dir, 'missing.ics');
    await expect(collect(parser.parse({ path }))).rejects.toThrow(path);
  });
});
