import ICAL from 'ical.js';
import type { InteractionEvent, ParticipantRef } from '../source-event.js';
import { snippetOf } from '../common/source-path.js';
import { zonedEpoch } from './zoned-time.js';

export type IcalComponent = InstanceType<typeof ICAL.Component>;
export type IcalTime = InstanceType<typeof ICAL.Time>;
type IcalProperty = InstanceType<typeof ICAL.Property>;

/**
 * Epoch ms of an iCalendar time. UTC and VTIMEZONE-backed times are exact; a TZID without a
 * VTIMEZONE is resolved through Intl when it is an IANA name; floating times are read in the
 * process's local zone; all-day dates are midnight UTC of that date (stable on every machine).
 */
export function epochOf(t: IcalTime, tzid?: string): number {
  if (t.isDate) return Date.UTC(t.year, t.month - 1, t.day);
  if (t.zone && t.zone.tzid !== 'floating') return t.toUnixTime() * 1000;
  if (tzid) {
    const z = zonedEpoch(t.year, t.month, t.day, t.hour, t.minute, t.second, tzid);
    if (z !== null) return z;
  }
  return new Date(t.year, t.month - 1, t.day, t.hour, t.minute, t.second).getTime();
}

/** The instance part of an id: the original start as written (UTC when zoned). */
export function recurrenceKey(t: IcalTime): string {
  if (!t.isDate && t.zone && t.zone.tzid !== 'floating') return t.convertToZone(ICAL.Timezone.utcTimezone).toICALString();
  return t.toICALString();
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** ATTENDEE / ORGANIZER → participant: email from `mailto:`, name from CN. */
export function personOf(p: IcalProperty): ParticipantRef | undefined {
  const value = str(p.getFirstValue());
  const cn = str(p.getParameter('cn'));
  const m = value ? /^mailto:(.+)$/i.exec(value) : null;
  const email = m && m[1]!.includes('@') ? decodeURIComponent(m[1]!).trim().toLowerCase() : undefined;
  if (!email && !cn) return undefined;
  const ref: ParticipantRef = {};
  if (email) ref.email = email;
  if (cn && cn.toLowerCase() !== email) ref.name = cn;
  return ref;
}

/**
 * The attendee rule every calendar source follows: rooms and resources are not people (Google
 * names them `…@resource.calendar.google.com`); declined attendees did not meet.
 */
export function attendedAsPerson(ref: ParticipantRef, o: { resource: boolean; declined: boolean }): boolean {
  if (o.resource || ref.email?.endsWith('@resource.calendar.google.com')) return false;
  return !o.declined;
}

function isPerson(p: IcalProperty, ref: ParticipantRef): boolean {
  const cutype = String(p.getParameter('cutype') ?? 'INDIVIDUAL').toUpperCase();
  return attendedAsPerson(ref, { resource: cutype === 'ROOM' || cutype === 'RESOURCE', declined: String(p.getParameter('partstat') ?? '').toUpperCase() === 'DECLINED' });
}

/**
 * The key of one calendar instance, shared by every calendar source so an event counts once
 * however it was reached: the iCalendar UID, plus `/` and the instance's original start
 * (UTC `YYYYMMDDTHHMMSSZ`, or `YYYYMMDD` for an all-day instance) for a recurring one.
 */
export function calendarExternalId(uid: string, recurrence?: string): string {
  return recurrence ? `${uid}/${recurrence}` : uid;
}

export function isCancelled(c: IcalComponent): boolean {
  return String(c.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED';
}

export interface Occurrence {
  uid: string;
  /** The component that describes this instance: the master, or its override. */
  item: IcalComponent;
  start: IcalTime;
  /** Original start of a recurring instance (its RECURRENCE-ID); absent for a single event. */
  recurrenceId?: IcalTime;
}

/** One calendar instance as an interaction: from = organizer, participants = attendees. */
export function toInteraction(o: Occurrence): InteractionEvent {
  const item = o.item;
  const tzid = str(item.getFirstProperty('dtstart')?.getParameter('tzid'));
  const seen = new Set<string>();
  const participants: ParticipantRef[] = [];
  for (const p of item.getAllProperties('attendee')) {
    const ref = personOf(p);
    if (!ref || !isPerson(p, ref)) continue;
    const key = ref.email ?? `name:${ref.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    participants.push(ref);
  }
  const organizer = item.getFirstProperty('organizer');
  const from = organizer ? personOf(organizer) : undefined;
  const ev: InteractionEvent = {
    kind: 'interaction',
    sourceType: 'calendar',
    externalId: calendarExternalId(o.uid, o.recurrenceId ? recurrenceKey(o.recurrenceId) : undefined),
    timestamp: epochOf(o.start, tzid),
    title: str(item.getFirstPropertyValue('summary')) ?? '(no title)',
    conversationKey: o.uid,
    participants,
  };
  if (from) ev.from = from;
  const snippet = snippetOf(str(item.getFirstPropertyValue('description')));
  if (snippet) ev.snippet = snippet;
  return ev;
}
