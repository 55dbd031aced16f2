import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CursorInvalidError } from '../../../src/errors.js';
import { formatCalendarCursor, parseCalendarCursor } from '../../../src/sources/google-calendar/calendar-cursor.js';
import { epochOfTime, mapCalendarEvent, recurrenceOf } from '../../../src/sources/google-calendar/calendar-event.mapper.js';
import { createIcsParser } from '../../../src/sources/ics/ics.parser.js';
import type { InteractionEvent } from '../../../src/sources/source-event.js';
import { loadKithConfig } from '../../../src/sync/kith-config.js';

const event = (over: Record<string, unknown>) => ({
  id: 'e1',
  status: 'confirmed',
  iCalUID: 'uid-1@google.com',
  summary: 'Planning',
  start: { dateTime: '2026-02-02T10:00:00-05:00', timeZone: 'America/New_York' },
  ...over,
});

describe('a Calendar API event', () => {
  it('maps an instance to the key, time and people the .ics export gives the same instance', async () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'BEGIN:VTIMEZONE',
      'TZID:America/New_York',
      'BEGIN:STANDARD',
      'TZOFFSETFROM:-0400',
      'TZOFFSETTO:-0500',
      'DTSTART:19701101T020000',
      'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU',
      'END:STANDARD',
      'BEGIN:DAYLIGHT',
      'TZOFFSETFROM:-0500',
      'TZOFFSETTO:-0400',
      'DTSTART:19700308T020000',
      'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU',
      'END:DAYLIGHT',
      'END:VTIMEZONE',
      'BEGIN:VEVENT',
      'UID:uid-1@google.com',
      'DTSTART;TZID=America/New_York:20260202T100000',
      'RRULE:FREQ=WEEKLY;COUNT=2',
      'SUMMARY:Planning',
      'DESCRIPTION:Agenda',
      'ORGANIZER;CN=Ada Lovelace:mailto:ada@example.com',
      'ATTENDEE;CN=Ada Lovelace;PARTSTAT=ACCEPTED:mailto:ada@example.com',
      'ATTENDEE;CN=bob@example.com;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com',
      'ATTENDEE;CN=Cy;PARTSTAT=DECLINED:mailto:cy@example.com',
      'ATTENDEE;CUTYPE=ROOM;CN=Room:mailto:room1@example.com',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const dir = mkdtempSync(join(tmpdir(), 'kith-gcal-'));
    try {
      writeFileSync(join(dir, 'c.ics'), ics);
      const fromIcs: InteractionEvent[] = [];
      for await (const e of createIcsParser({ horizon: () => Date.UTC(2027, 0, 1) }).parse({ path: join(dir, 'c.ics') })) if (e.kind === 'interaction') fromIcs.push(e);
      const api = mapCalendarEvent(
        event({
          id: 'series_20260209T150000Z',
          recurringEventId: 'series',
          start: { dateTime: '2026-02-09T10:00:00-05:00', timeZone: 'America/New_York' },
          originalStartTime: { dateTime: '2026-02-09T10:00:00-05:00', timeZone: 'America/New_York' },
          description: 'Agenda',
          organizer: { email: 'Ada@Example.com', displayName: 'Ada Lovelace' },
          attendees: [
            { email: 'ada@example.com', displayName: 'Ada Lovelace', responseStatus: 'accepted', organizer: true },
            { email: 'bob@example.com', responseStatus: 'needsAction' },
            { email: 'cy@example.com', displayName: 'Cy', responseStatus: 'declined' },
            { email: 'room1@example.com', displayName: 'Room', resource: true },
          ],
        }),
      );
      expect(api.kind).toBe('event');
      if (api.kind !== 'event') return;
      expect(api.event).toEqual(fromIcs[1]);
      expect(api.event.externalId).toBe('uid-1@google.com/20260209T150000Z');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keys a single event by its iCalUID and an all-day instance by its date; all-day times are midnight UTC', () => {
    expect(mapCalendarEvent(event({}))).toMatchObject({ kind: 'event', event: { externalId: 'uid-1@google.com', conversationKey: 'uid-1@google.com', timestamp: Date.parse('2026-02-02T15:00:00Z') } });
    const allDay = mapCalendarEvent(event({ recurringEventId: 's', start: { date: '2026-02-12' }, originalStartTime: { date: '2026-02-12' } }));
    expect(allDay).toMatchObject({ kind: 'event', event: { externalId: 'uid-1@google.com/20260212', timestamp: Date.UTC(2026, 1, 12) } });
    // A moved instance keeps the key of its original start.
    const moved = mapCalendarEvent(event({ recurringEventId: 's', start: { dateTime: '2026-02-10T09:00:00Z' }, originalStartTime: { dateTime: '2026-02-09T15:00:00Z' } }));
    expect(moved).toMatchObject({ kind: 'event', event: { externalId: 'uid-1@google.com/20260209T150000Z', timestamp: Date.parse('2026-02-10T09:00:00Z') } });
    expect(mapCalendarEvent(event({ summary: '  ' }))).toMatchObject({ event: { title: '(no title)' } });
  });

  it('is a removal when cancelled (with its key when it still carries one), and skipped without an iCalUID or a start', () => {
    expect(mapCalendarEvent({ id: 'x', status: 'cancelled' })).toEqual({ kind: 'cancelled' });
    expect(mapCalendarEvent(event({ status: 'cancelled', recurringEventId: 's', originalStartTime: { dateTime: '2026-02-09T15:00:00Z' } }))).toEqual({ kind: 'cancelled', externalId: 'uid-1@google.com/20260209T150000Z' });
    expect(mapCalendarEvent(event({ iCalUID: undefined }))).toEqual({ kind: 'skip', reason: 'event without iCalUID' });
    expect(mapCalendarEvent(event({ start: {} }))).toEqual({ kind: 'skip', reason: 'event without a readable start' });
    expect(mapCalendarEvent(event({ start: { dateTime: 'soon' } }))).toEqual({ kind: 'skip', reason: 'event without a readable start' });
  });

  it('reads event times', () => {
    expect(epochOfTime({ date: '2026-13-40x' })).toBeUndefined();
    expect(recurrenceOf({ dateTime: '2026-07-01T09:30:00+02:00' })).toBe('20260701T073000Z');
    expect(recurrenceOf({ date: '2026-07-01' })).toBe('20260701');
    expect(recurrenceOf(undefined)).toBeUndefined();
  });
});

describe('the Google Calendar cursor', () => {
  it('round-trips one position per calendar and refuses what it did not write', () => {
    const c = { v: 1 as const, calendars: { primary: { syncToken: 's1' }, 'team@group.calendar.google.com': { pageToken: 'p2' } } };
    expect(parseCalendarCursor(formatCalendarCursor(c))).toEqual(c);
    expect(() => parseCalendarCursor('42')).toThrow(CursorInvalidError);
    expect(() => parseCalendarCursor('not json')).toThrow(CursorInvalidError);
    expect(() => parseCalendarCursor('{"v":1,"mode":"history","historyId":"1"}')).toThrow(CursorInvalidError);
    expect(() => parseCalendarCursor('{"v":1,"calendars":{"primary":{"syncToken":7}}}')).toThrow(CursorInvalidError);
  });
});

describe('a google-calendar entry in kith.config.yaml', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kith-gcal-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const load = (yaml: string) => {
    writeFileSync(join(dir, 'kith.config.yaml'), yaml);
    return loadKithConfig(join(dir, 'kith.config.yaml'));
  };

  it('takes no path, defaults to the primary calendar, and names a bad field', () => {
    expect(load('sources:\n  - { type: google-calendar }\n').sources).toEqual([
      { id: 'google-calendar', type: 'google-calendar', path: '', base_url: 'https://www.googleapis.com/', calendars: ['primary'], page_size: 250, requests_per_minute: 600 },
    ]);
    expect(() => load('sources:\n  - { type: google-calendar, path: cal.ics }\n')).toThrow(/sources\[0\]\.path.*takes no path/);
    expect(() => load('sources:\n  - { type: google-calendar, calendars: [] }\n')).toThrow(/sources\[0\]\.calendars.*at least one calendar/);
    expect(() => load('sources:\n  - { type: google-calendar, calendars: primary }\n')).toThrow(/sources\[0\]\.calendars.*list of calendar ids/);
    expect(() => load('sources:\n  - { type: google-calendar, calendars: [a, a] }\n')).toThrow(/sources\[0\]\.calendars.*twice/);
    expect(() => load('sources:\n  - { type: google-calendar, page_size: 5000 }\n')).toThrow(/sources\[0\]\.page_size.*≤ 2500/);
    expect(() => load('sources:\n  - { type: google-calendar, base_url: "ftp://x" }\n')).toThrow(/sources\[0\]\.base_url.*http\(s\) URL/);
  });
});
