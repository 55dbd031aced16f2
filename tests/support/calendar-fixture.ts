import type { CalendarEmulator } from '../emulators/google/calendar/calendar-emulator.js';

const ME = { email: 'me@example.com', displayName: 'Sam Rivera', self: true };
const ny = (dateTime: string) => ({ dateTime, timeZone: 'America/New_York' });

/**
 * The calendar of examples/exports/ics/me@example.com.ics as Google's API holds it: the weekly
 * series as its instances (one cancelled), the single events, the all-day one (organised by the
 * account, as Google records it), and the cancelled coffee.
 */
export function loadExampleCalendar(em: CalendarEmulator, calendarId = 'primary'): void {
  const engine = em.addSeries(
    calendarId,
    {
      id: 'enginesync2026',
      iCalUID: 'engine-sync-2026@google.com',
      summary: 'Engine sync',
      description: 'Weekly engine sync: status, blockers, budget.',
      organizer: { email: 'ada@example.com', displayName: 'Ada Lovelace' },
      attendees: [
        { email: 'ada@example.com', displayName: 'Ada Lovelace', organizer: true, responseStatus: 'accepted' },
        { ...ME, responseStatus: 'accepted' },
        { email: 'bob@example.com', displayName: 'Bob Stone', responseStatus: 'accepted' },
        { email: 'zoe.muller@example.org', displayName: 'Zoë Müller', responseStatus: 'needsAction' },
        { email: 'c_188engine@resource.calendar.google.com', displayName: 'Room Babbage', resource: true, responseStatus: 'accepted' },
      ],
    },
    [ny('2026-02-02T10:00:00-05:00'), ny('2026-02-09T10:00:00-05:00'), ny('2026-02-16T10:00:00-05:00'), ny('2026-02-23T10:00:00-05:00')],
  );
  em.cancel(calendarId, engine[2]!.id as string);
  em.add(
    calendarId,
    {
      id: 'lunchpriya2026',
      iCalUID: 'lunch-priya-2026@google.com',
      summary: 'Lunch with Priya',
      start: ny('2026-02-05T12:30:00-05:00'),
      end: ny('2026-02-05T13:30:00-05:00'),
      organizer: ME,
      attendees: [{ ...ME, organizer: true, responseStatus: 'accepted' }, { email: 'priya@example.in', displayName: 'Priya Natarajan', responseStatus: 'accepted' }],
    },
    {
      id: 'editorialcall2026',
      iCalUID: 'editorial-call-2026@google.com',
      summary: 'Editorial call',
      start: { dateTime: '2026-02-06T16:00:00Z' },
      organizer: { email: 'jane@example.net', displayName: 'Jane Doe' },
      attendees: [
        { email: 'jane@example.net', displayName: 'Jane Doe', organizer: true, responseStatus: 'accepted' },
        { email: 'me@example.com', self: true, responseStatus: 'accepted' },
        { email: 'lena.svensson@example.se', displayName: 'Lena Svensson', responseStatus: 'tentative' },
      ],
    },
    {
      id: 'berlinpartners2026',
      iCalUID: 'berlin-partners-2026@google.com',
      summary: 'Berlin partners',
      start: { dateTime: '2026-02-10T10:00:00+01:00', timeZone: 'Europe/Berlin' },
      organizer: { email: 'tom.becker@example.de', displayName: 'Tom Becker' },
      attendees: [
        { email: 'tom.becker@example.de', displayName: 'Tom Becker', organizer: true, responseStatus: 'accepted' },
        { email: 'lena.svensson@example.se', displayName: 'Lena Svensson', responseStatus: 'accepted' },
        { ...ME, responseStatus: 'accepted' },
        { email: 'marcus.chen@example.com', displayName: 'Marcus Chen', responseStatus: 'declined' },
      ],
    },
    { id: 'conferenceday2026', iCalUID: 'conference-day-2026@google.com', summary: 'Engine conference', start: { date: '2026-02-12' }, end: { date: '2026-02-13' }, organizer: ME },
    {
      id: 'coffeemarcus2026',
      iCalUID: 'coffee-marcus-2026@google.com',
      summary: 'Coffee with Marcus',
      start: { dateTime: '2026-02-09T15:00:00Z' },
      organizer: { email: 'marcus.chen@example.com', displayName: 'Marcus Chen' },
      attendees: [{ ...ME }, { email: 'marcus.chen@example.com', displayName: 'Marcus Chen', organizer: true }],
    },
  );
  em.cancel(calendarId, 'coffeemarcus2026');
}
