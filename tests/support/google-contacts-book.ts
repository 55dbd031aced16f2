import { parser } from '../../src/sources/google-contacts-csv/google-contacts-csv.parser.js';
import type { PeopleEmulator, PersonInput } from '../emulators/google/people/people-emulator.js';

/**
 * Put the contacts of a Google Contacts CSV export into the People emulator as Google holds
 * them: the same name, emails, phones, organisation and profile URLs, one person each.
 */
export async function loadContactsCsvIntoPeople(em: PeopleEmulator, csvPath: string): Promise<string[]> {
  const people: PersonInput[] = [];
  for await (const ev of parser.parse({ path: csvPath })) {
    if (ev.kind !== 'contact') continue;
    people.push({
      ...(ev.name ? { names: [{ displayName: ev.name }] } : {}),
      emailAddresses: ev.emails.map((value) => ({ value, type: 'work' })),
      phoneNumbers: ev.phones.map((value) => ({ value, type: 'mobile' })),
      ...(ev.company || ev.jobTitle ? { organizations: [{ ...(ev.company ? { name: ev.company } : {}), ...(ev.jobTitle ? { title: ev.jobTitle } : {}) }] } : {}),
      ...(ev.handles ? { urls: ev.handles.map((value) => ({ value, type: 'profile' })) } : {}),
    });
  }
  return em.add(...people);
}
