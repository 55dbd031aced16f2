import { InvalidInputError } from '../../errors.js';
import type { ContactEvent, ParseInput, SourceEvent, SourceParser } from '../source-event.js';
import { cleanEmails, cleanPhones, joinName, linkedInProfile } from '../common/contact-fields.js';
import { headerIndex, readCsvRows } from '../common/csv-rows.js';
import { checkSourcePath } from '../common/source-path.js';
import { stableId } from '../common/stable-id.js';

/** Google joins several values of one field with " ::: " (e.g. two numbers labelled Mobile). */
const MULTI = /\s*:::\s*/;

/**
 * Where each field lives, for both header sets Google has exported: the current one
 * ("First Name", "Organization Name", "E-mail 1 - Label") and the older "Google CSV"
 * ("Name", "Given Name", "Organization 1 - Name", "E-mail 1 - Type").
 */
interface Columns {
  name: number;
  prefix: number;
  given: number;
  middle: number;
  family: number;
  suffix: number;
  fileAs: number;
  nickname: number;
  company: number;
  title: number;
  emails: number[];
  phones: number[];
  websites: number[];
}

export function googleColumns(header: string[]): Columns | null {
  const at = headerIndex(header);
  const either = (...names: string[]) => names.map(at).find((i) => i >= 0) ?? -1;
  const matching = (re: RegExp) => header.flatMap((h, i) => (re.test(h.trim()) ? [i] : []));
  const cols: Columns = {
    name: at('Name'),
    prefix: at('Name Prefix'),
    given: either('First Name', 'Given Name'),
    middle: either('Middle Name', 'Additional Name'),
    family: either('Last Name', 'Family Name'),
    suffix: at('Name Suffix'),
    fileAs: at('File As'),
    nickname: at('Nickname'),
    company: either('Organization Name', 'Organization 1 - Name'),
    title: either('Organization Title', 'Organization 1 - Title'),
    emails: matching(/^E-mail \d+ - Value$/i),
    phones: matching(/^Phone \d+ - Value$/i),
    websites: matching(/^Website \d+ - Value$/i),
  };
  const hasName = cols.name >= 0 || cols.given >= 0 || cols.family >= 0;
  return hasName && (cols.emails.length > 0 || cols.phones.length > 0) ? cols : null;
}

/** One CSV row → ContactEvent, or the reason it cannot be one. */
export function rowToContact(cols: Columns, row: string[]): ContactEvent | string {
  const get = (i: number) => (i >= 0 ? (row[i] ?? '').trim() : '');
  const many = (idx: number[]) => idx.flatMap((i) => get(i).split(MULTI)).filter(Boolean);
  const name =
    get(cols.name) ||
    joinName(get(cols.prefix), get(cols.given), get(cols.middle), get(cols.family), get(cols.suffix)) ||
    get(cols.fileAs) ||
    get(cols.nickname) ||
    undefined;
  const emails = cleanEmails(many(cols.emails));
  const phones = cleanPhones(many(cols.phones));
  if (!name && emails.length === 0 && phones.length === 0) return 'row has no name, email or phone';
  const handles = [...new Set(many(cols.websites).map(linkedInProfile).filter((h): h is string => h !== null))];
  const ev: ContactEvent = {
    kind: 'contact',
    sourceType: 'google-contacts-csv',
    // Google's export carries no contact id: the identity is what the row says.
    externalId: stableId('gcsv', name, [...emails].sort().join(','), [...phones].sort().join(',')),
    emails,
    phones,
  };
  if (name) ev.name = name;
  if (get(cols.company)) ev.company = get(cols.company);
  if (get(cols.title)) ev.jobTitle = get(cols.title);
  if (handles.length > 0) ev.handles = handles;
  return ev;
}

/**
 * Google Contacts export (contacts.csv), streamed record by record — quoted fields may span
 * lines (addresses, notes). A file whose header is not Google's fails naming the file; a row
 * without name, email or phone, or a malformed CSV record, is skipped with its line.
 */
async function* parse({ path }: ParseInput): AsyncGenerator<SourceEvent> {
  await checkSourcePath(path, ['file']);
  let cols: Columns | undefined;
  for await (const item of readCsvRows(path)) {
    if (cols === undefined) {
      const found = item.kind === 'row' ? googleColumns(item.fields) : null;
      if (!found) throw new InvalidInputError(`not a Google Contacts CSV (no Name and E-mail/Phone "… - Value" columns in the header): ${path}`, 'bad_header');
      cols = found;
      continue;
    }
    if (item.kind === 'bad') {
      yield { kind: 'skipped', file: path, line: item.line, reason: item.reason };
      continue;
    }
    const r = rowToContact(cols, item.fields);
    yield typeof r === 'string' ? { kind: 'skipped', file: path, line: item.line, reason: r } : r;
  }
}

export const parser: SourceParser = { type: 'google-contacts-csv', parse };
