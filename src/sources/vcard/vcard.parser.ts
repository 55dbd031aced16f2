import type { ContactEvent, ParseInput, SourceEvent, SourceParser } from '../source-event.js';
import { cleanEmails, cleanPhones, joinName, linkedInProfile } from '../common/contact-fields.js';
import { readLines } from '../common/line-reader.js';
import { describeHead, notTheFormat, readHead } from '../common/file-format.js';
import { checkSourcePath } from '../common/source-path.js';
import { stableId } from '../common/stable-id.js';
import { components, decodeQp, isQuotedPrintable, param, parseContentLine, unescapeText } from './content-line.js';
import type { ContentLine } from './content-line.js';

const MAX_LOGICAL = 256 * 1024; // a folded PHOTO can be long; nothing we keep is

interface OpenCard {
  line: number;
  fn?: string;
  n?: string[];
  nickname?: string;
  emails: string[];
  phones: string[];
  org?: string;
  title?: string;
  uid?: string;
  rev?: string;
  handles: string[];
}

/** REV as epoch ms: `20240102T030405Z`, `2024-01-02T03:04:05Z`, `2024-01-02`. */
export function parseRev(raw: string | undefined): number | undefined {
  const m = raw && /^(\d{4})-?(\d{2})-?(\d{2})(?:T(\d{2}):?(\d{2}):?(\d{2})(?:\.\d+)?Z?)?$/i.exec(raw.trim());
  if (!m) return undefined;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  return Number.isNaN(t) ? undefined : t;
}

function textOf(l: ContentLine): string {
  return isQuotedPrintable(l) ? decodeQp(l.value, param(l, 'CHARSET')) : l.value;
}

function apply(card: OpenCard, l: ContentLine): void {
  switch (l.name) {
    case 'FN':
      card.fn = unescapeText(textOf(l)) || card.fn;
      break;
    case 'N':
      card.n = components(textOf(l));
      break;
    case 'NICKNAME':
      card.nickname = unescapeText(textOf(l)).split(',')[0];
      break;
    case 'EMAIL':
      card.emails.push(unescapeText(textOf(l)));
      break;
    case 'TEL':
      card.phones.push(unescapeText(textOf(l)));
      break;
    case 'ORG':
      card.org = components(textOf(l))[0] || undefined;
      break;
    case 'TITLE':
      card.title = unescapeText(textOf(l)) || undefined;
      break;
    case 'UID':
      card.uid = unescapeText(l.value) || undefined;
      break;
    case 'REV':
      card.rev = l.value;
      break;
    case 'URL':
    case 'X-SOCIALPROFILE': {
      const p = linkedInProfile(unescapeText(l.value));
      if (p && !card.handles.includes(p)) card.handles.push(p);
      break;
    }
  }
}

/** A closed card → ContactEvent, or the reason it is unusable. */
export function cardToContact(card: OpenCard): ContactEvent | string {
  const [family, given, additional, prefix, suffix] = card.n ?? [];
  const name = card.fn?.trim() || joinName(prefix, given, additional, family, suffix) || card.nickname?.trim() || undefined;
  const emails = cleanEmails(card.emails);
  const phones = cleanPhones(card.phones);
  if (!name && emails.length === 0 && phones.length === 0) return 'vCard has no name, email or phone';
  const ev: ContactEvent = {
    kind: 'contact',
    sourceType: 'vcard',
    externalId: card.uid ?? stableId('vcard', name, [...emails].sort().join(','), [...phones].sort().join(',')),
    emails,
    phones,
  };
  if (name) ev.name = name;
  if (card.org) ev.company = card.org;
  if (card.title) ev.jobTitle = card.title;
  if (card.handles.length > 0) ev.handles = card.handles;
  const ts = parseRev(card.rev);
  if (ts !== undefined) ev.timestamp = ts;
  return ev;
}

/**
 * vCard 2.1/3.0/4.0 files (one or many cards), streamed: lines are unfolded (white-space folding
 * and quoted-printable soft breaks), each card is mapped when its END:VCARD arrives. A card with
 * no name, email or phone, or one that never ends, is skipped with its BEGIN line. An empty file
 * holds no cards; a file with text but no BEGIN:VCARD line at all (binary, another format) fails.
 */
async function* parse({ path }: ParseInput): AsyncGenerator<SourceEvent> {
  await checkSourcePath(path, ['file']);
  const head = await readHead(path);
  const isCard = (l: string) => l.trim().toUpperCase() === 'BEGIN:VCARD';
  const notVcard = () => notTheFormat(path, 'a vCard (.vcf) file', `no BEGIN:VCARD line; found ${describeHead(head)}`);
  if (head.binary && !head.lines.some(isCard)) throw notVcard();
  let cards = 0;
  let card: OpenCard | undefined;
  let junk = false;
  const skipped = (line: number, reason: string): SourceEvent => ({ kind: 'skipped', file: path, line, reason });

  function* flush(logical: string, line: number): Generator<SourceEvent> {
    const upper = logical.trim().toUpperCase();
    if (upper === 'BEGIN:VCARD') {
      if (card) yield skipped(card.line, 'vCard without END:VCARD');
      card = { line, emails: [], phones: [], handles: [] };
      cards++;
      junk = false;
    } else if (upper === 'END:VCARD') {
      if (card) {
        const r = cardToContact(card);
        yield typeof r === 'string' ? skipped(card.line, r) : r;
      }
      card = undefined;
    } else if (card) {
      const l = parseContentLine(logical);
      if (l) apply(card, l); // an unreadable property is ignored, the card is kept
    } else if (logical.trim() !== '' && !junk) {
      junk = true;
      yield skipped(line, 'text outside BEGIN:VCARD … END:VCARD');
    }
  }

  let pending: string | undefined;
  let pendingLine = 0;
  for await (const l of readLines(path)) {
    const text = l.line === 1 ? l.text.replace(/^\ufeff/, '') : l.text;
    if (pending !== undefined && (text.startsWith(' ') || text.startsWith('\t'))) {
      if (pending.length < MAX_LOGICAL) pending += text.slice(1);
      continue;
    }
    if (pending !== undefined && pending.endsWith('=') && /^[^:]*QUOTED-PRINTABLE[^:]*:/i.test(pending)) {
      if (pending.length < MAX_LOGICAL) pending = `${pending.slice(0, -1)}${text}`;
      continue;
    }
    if (pending !== undefined) yield* flush(pending, pendingLine);
    pending = text;
    pendingLine = l.line;
  }
  if (pending !== undefined) yield* flush(pending, pendingLine);
  if (card) yield skipped(card.line, 'vCard without END:VCARD');
  if (cards === 0 && !head.blank) throw notVcard();
}

export const parser: SourceParser = { type: 'vcard', parse };
