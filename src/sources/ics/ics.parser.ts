import ICAL from 'ical.js';
import type { ParseInput, SourceEvent, SourceParser } from '../source-event.js';
import { describeHead, notTheFormat, readHead } from '../common/file-format.js';
import { checkSourcePath } from '../common/source-path.js';
import { stableId } from '../common/stable-id.js';
import { epochOf, isCancelled, toInteraction } from './event.mapper.js';
import type { IcalComponent } from './event.mapper.js';
import { icsBlocks } from './vevent-blocks.js';

export interface IcsParserOptions {
  /** Recurring events are expanded up to this time (epoch ms); default now + 1 year. */
  horizon?: () => number;
  /** At most this many instances per recurring event (a daily event for ~27 years). */
  maxInstances?: number;
}

type Parsed = { ok: true; comp: IcalComponent } | { ok: false; reason: string };

function parseBlock(text: string, kind: string): Parsed {
  try {
    const comp = new ICAL.Component(ICAL.parse(text) as unknown as unknown[]);
    if (comp.name !== kind) return { ok: false, reason: `not a ${kind.toUpperCase()}` };
    return { ok: true, comp };
  } catch (err) {
    return { ok: false, reason: `unparsable ${kind.toUpperCase()}: ${(err as Error).message}` };
  }
}

function uidOf(c: IcalComponent): string {
  const uid = c.getFirstPropertyValue('uid');
  if (typeof uid === 'string' && uid.trim()) return uid.trim();
  // RFC 5545 requires a UID; without one, hash what identifies the event.
  return stableId('ics', String(c.getFirstProperty('dtstart')?.toICALString() ?? ''), String(c.getFirstPropertyValue('summary') ?? ''));
}

/**
 * Google Calendar .ics export, streamed block by block with ical.js. Pass 1 registers the
 * VTIMEZONEs and keeps the overridden instances (RECURRENCE-ID) by UID — the only events held in
 * memory; pass 2 expands each master (RRULE/RDATE/EXDATE, overrides related) up to the horizon,
 * drops cancelled events and instances, and emits one InteractionEvent per instance. A file that
 * does not open with BEGIN:VCALENDAR (binary, another format) fails naming what it holds; an
 * empty file is an empty calendar.
 */
export function createIcsParser(opts: IcsParserOptions = {}): SourceParser {
  const horizonOf = opts.horizon ?? (() => Date.now() + 365 * 24 * 3600_000);
  const cap = opts.maxInstances ?? 10_000;

  async function* parse({ path }: ParseInput): AsyncGenerator<SourceEvent> {
    await checkSourcePath(path, ['file']);
    // An empty file is an empty calendar; anything else must open with BEGIN:VCALENDAR (a
    // line or two of junk before it is tolerated), or it is not a calendar at all.
    const head = await readHead(path);
    if (!head.blank && !head.lines.some((l) => l.trim().toUpperCase() === 'BEGIN:VCALENDAR')) {
      throw notTheFormat(path, 'an iCalendar (.ics) file', `no BEGIN:VCALENDAR line at its start; found ${describeHead(head)}`);
    }
    const horizon = horizonOf();
    const skipped = (line: number, reason: string): SourceEvent => ({ kind: 'skipped', file: path, line, reason });

    // Pass 1: time zones and overrides.
    const overrides = new Map<string, Array<{ comp: IcalComponent; line: number }>>();
    for await (const b of icsBlocks(path)) {
      if (b.kind === 'vtimezone') {
        const p = parseBlock(b.text, 'vtimezone');
        if (p.ok) ICAL.TimezoneService.register(p.comp);
      } else if (b.kind === 'vevent' && b.recurrenceId) {
        const p = parseBlock(b.text, 'vevent');
        if (!p.ok) continue; // reported in pass 2
        const uid = uidOf(p.comp);
        overrides.set(uid, [...(overrides.get(uid) ?? []), { comp: p.comp, line: b.line }]);
      }
    }

    // Pass 2: masters, expanded.
    const mastersSeen = new Set<string>();
    for await (const b of icsBlocks(path)) {
      if (b.kind === 'bad') {
        yield skipped(b.line, b.reason);
        continue;
      }
      if (b.kind !== 'vevent') continue;
      const p = parseBlock(b.text, 'vevent');
      if (!p.ok) {
        yield skipped(b.line, p.reason);
        continue;
      }
      if (b.recurrenceId) continue; // handled with its master, or below as an orphan
      const master = p.comp;
      if (!master.getFirstProperty('dtstart')) {
        yield skipped(b.line, 'VEVENT without DTSTART');
        continue;
      }
      const uid = uidOf(master);
      mastersSeen.add(uid);
      if (isCancelled(master)) continue;
      let event: InstanceType<typeof ICAL.Event>;
      try {
        event = new ICAL.Event(master);
        for (const o of overrides.get(uid) ?? []) event.relateException(o.comp);
      } catch (err) {
        yield skipped(b.line, `unusable VEVENT: ${(err as Error).message}`);
        continue;
      }
      if (!event.isRecurring()) {
        if (epochOf(event.startDate) <= horizon) yield toInteraction({ uid, item: master, start: event.startDate });
        continue;
      }
      let n = 0;
      let truncated = false;
      try {
        const it = event.iterator();
        for (let next = it.next(); next; next = it.next()) {
          if (epochOf(next) > horizon) break;
          if (++n > cap) {
            truncated = true;
            break;
          }
          const d = event.getOccurrenceDetails(next);
          if (isCancelled(d.item.component)) continue;
          yield toInteraction({ uid, item: d.item.component, start: d.startDate, recurrenceId: next });
        }
      } catch (err) {
        yield skipped(b.line, `recurrence rule failed after ${n} instances: ${(err as Error).message}`);
        continue;
      }
      if (truncated) yield skipped(b.line, `recurring event expanded to its cap of ${cap} instances; later ones are not imported`);
    }

    // Overrides whose series is not in the file: single instances of their own.
    for (const [uid, list] of overrides) {
      if (mastersSeen.has(uid)) continue;
      for (const { comp } of list) {
        if (isCancelled(comp)) continue;
        const ev = new ICAL.Event(comp);
        if (epochOf(ev.startDate) > horizon) continue;
        yield toInteraction({ uid, item: comp, start: ev.startDate, recurrenceId: ev.recurrenceId ?? undefined });
      }
    }
  }

  return { type: 'ics', parse };
}

export const parser: SourceParser = createIcsParser();
