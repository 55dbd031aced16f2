import type { calendar_v3 } from '@googleapis/calendar';
import { snippetOf } from '../common/source-path.js';
import { attendedAsPerson, calendarExternalId } from '../ics/event.mapper.js';
import type { InteractionEvent, ParticipantRef } from '../source-event.js';

export type ApiEvent = calendar_v3.Schema$Event;
type EventTime = calendar_v3.Schema$EventDateTime;

/** What one event of `events.list` gives: an interaction, a removal (cancelled), or a skip. */
export type MappedCalendarEvent =
  | { kind: 'event'; event: InteractionEvent }
  /** The key it had, when the cancelled event still tells it (an ID-only one does not). */
  | { kind: 'cancelled'; externalId?: string }
  | { kind: 'skip'; reason: string };

const str = (v: string | null | undefined): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** Epoch ms of an event time: the instant of a `dateTime`, midnight UTC of a `date` (as the .ics mapper reads all-day dates). */
export function epochOfTime(t: EventTime | null | undefined): number | undefined {
  const date = str(t?.date);
  if (date) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
    return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
  }
  const dt = str(t?.dateTime);
  if (!dt) return undefined;
  const at = Date.parse(dt);
  return Number.isNaN(at) ? undefined : at;
}

/**
 * An instance's original start as the .ics export writes its RECURRENCE-ID once in UTC:
 * `YYYYMMDDTHHMMSSZ`, or `YYYYMMDD` for an all-day instance.
 */
export function recurrenceOf(t: EventTime | null | undefined): string | undefined {
  const date = str(t?.date);
  if (date) return /^\d{4}-\d{2}-\d{2}$/.test(date) ? date.replaceAll('-', '') : undefined;
  const at = epochOfTime(t);
  if (at === undefined) return undefined;
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll(/[-:]/g, '');
}

function personOf(p: { email?: string | null; displayName?: string | null } | null | undefined): ParticipantRef | undefined {
  const email = str(p?.email)?.toLowerCase();
  const name = str(p?.displayName);
  if (!email && !name) return undefined;
  const ref: ParticipantRef = {};
  if (email && email.includes('@')) ref.email = email;
  if (name && name.toLowerCase() !== email) ref.name = name;
  return ref.email || ref.name ? ref : undefined;
}

/**
 * One event of `events.list` (with `singleEvents`, so a recurring event arrives as its
 * instances) under the rules of the .ics source: the key is the iCalUID, plus the instance's
 * original start for a recurring one — exactly what the export gives the same instance, so it
 * counts once; the organizer is `from`, attendees are participants except rooms, resources and
 * those who declined. A cancelled event is a removal (with its key when it still carries its
 * iCalUID, so an instance only the export gave is removed too); one without an iCalUID or a
 * start is skipped.
 */
export function mapCalendarEvent(e: ApiEvent): MappedCalendarEvent {
  const uid = str(e.iCalUID);
  const recurrence = e.recurringEventId ? recurrenceOf(e.originalStartTime ?? e.start) : undefined;
  if (e.status === 'cancelled') return uid && (!e.recurringEventId || recurrence) ? { kind: 'cancelled', externalId: calendarExternalId(uid, recurrence) } : { kind: 'cancelled' };
  if (!uid) return { kind: 'skip', reason: 'event without iCalUID' };
  const timestamp = epochOfTime(e.start);
  if (timestamp === undefined) return { kind: 'skip', reason: 'event without a readable start' };
  if (e.recurringEventId && !recurrence) return { kind: 'skip', reason: 'recurring instance without a readable originalStartTime' };
  const seen = new Set<string>();
  const participants: ParticipantRef[] = [];
  for (const a of e.attendees ?? []) {
    const ref = personOf(a);
    if (!ref || !attendedAsPerson(ref, { resource: a.resource === true, declined: a.responseStatus === 'declined' })) continue;
    const key = ref.email ?? `name:${ref.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    participants.push(ref);
  }
  const event: InteractionEvent = {
    kind: 'interaction',
    sourceType: 'calendar',
    externalId: calendarExternalId(uid, recurrence),
    timestamp,
    title: str(e.summary) ?? '(no title)',
    conversationKey: uid,
    participants,
  };
  const from = personOf(e.organizer);
  if (from) event.from = from;
  const snippet = snippetOf(str(e.description));
  if (snippet) event.snippet = snippet;
  return { kind: 'event', event };
}
