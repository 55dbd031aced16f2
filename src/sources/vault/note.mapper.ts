import { snippetOf } from '../common/source-path.js';
import type { ContactEvent, InteractionEvent, ParticipantRef, SkippedRecord } from '../source-event.js';
import { keyLine, parseNoteDate, type SplitNote } from './front-matter.js';
import { basename, strings, type VaultIndex } from './vault-index.js';
import { plainNoteText, wikilinkTargets } from './wikilinks.js';

/** Front matter keys whose entries are people, whatever the person rule says. */
const PEOPLE_KEYS = ['people', 'attendees', 'participants'];
const DATE_KEYS = ['date', 'created'];

export interface NoteInput {
  rel: string;
  file: string;
  note: SplitNote;
  mtimeMs: number;
  index: VaultIndex;
}

/**
 * One note → one interaction listing the people it mentions (wikilinks that pass the person
 * rule, plus people/attendees/participants from front matter). Notes are the user's own
 * writing, so `fromSelf` is set and the interaction counts once per person mentioned. A note
 * that mentions nobody is still yielded (with no participants) so that removing the last
 * mention from a note replaces its earlier interactions. A person's own page is a contact, not
 * an interaction.
 */
export function mapNote({ rel, file, note, mtimeMs, index }: NoteInput): InteractionEvent | ContactEvent | SkippedRecord {
  if (!note.ok) return { kind: 'skipped', file, line: note.line, reason: note.reason };
  const fm = note.data;
  const self = index.resolve(rel.replace(/\.md$/i, ''));
  if (self?.isPerson) {
    const contact: ContactEvent = { kind: 'contact', sourceType: 'vault', externalId: rel, name: typeof fm.name === 'string' ? fm.name : self.name, emails: self.emails, phones: self.phones };
    const company = strings(fm.company ?? fm.organization)[0];
    if (company) contact.company = company;
    const role = strings(fm.role ?? fm.job_title)[0];
    if (role) contact.jobTitle = role;
    return contact;
  }

  let timestamp = mtimeMs;
  for (const key of DATE_KEYS) {
    if (fm[key] == null) continue;
    const ms = parseNoteDate(fm[key]);
    if (ms === undefined) return { kind: 'skipped', file, line: keyLine(note.lines, key), reason: `front matter ${key}: '${String(fm[key])}' is not a date (YYYY-MM-DD or ISO 8601)` };
    timestamp = ms;
    break;
  }

  const people = new PeopleList();
  for (const key of PEOPLE_KEYS) for (const entry of strings(fm[key])) people.add(index.declared(entry));
  for (const target of wikilinkTargets(note.body)) people.add(index.person(target));

  const event: InteractionEvent = {
    kind: 'interaction',
    sourceType: String(fm.source ?? '').toLowerCase() === 'granola' ? 'granola' : 'vault',
    externalId: rel,
    timestamp,
    title: typeof fm.title === 'string' && fm.title.trim() ? fm.title.trim() : basename(rel),
    conversationKey: rel,
    participants: people.list,
    fromSelf: true,
  };
  const snippet = snippetOf(plainNoteText(note.body));
  if (snippet) event.snippet = snippet;
  return event;
}

/** Participants without repeats: the same email, or the same name, is one person. */
class PeopleList {
  readonly list: ParticipantRef[] = [];

  add(ref: ParticipantRef | undefined): void {
    if (!ref) return;
    const same = this.list.find((p) => (ref.email && p.email === ref.email) || (ref.name && p.name?.toLowerCase() === ref.name.toLowerCase()));
    if (!same) this.list.push(ref);
    else for (const k of ['email', 'phone', 'name'] as const) if (!same[k] && ref[k]) same[k] = ref[k];
  }
}
