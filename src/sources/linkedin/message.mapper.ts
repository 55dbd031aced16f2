import type { InteractionEvent, ParticipantRef } from '../source-event.js';
import { linkedInProfile } from '../common/contact-fields.js';
import { snippetOf } from '../common/source-path.js';
import { stableId } from '../common/stable-id.js';

/** "2023-06-11 15:33:58 UTC" → epoch ms. */
export function parseMessageDate(raw: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(?:UTC|Z|GMT)?$/i.exec(raw.trim());
  if (!m) return undefined;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
  return Number.isNaN(t) || new Date(t).getUTCDate() !== +m[3]! ? undefined : t;
}

/**
 * Some exports hold UTF-8 text decoded as Latin-1 ("JosÃ©"). Undo that when the text looks
 * like it and the bytes are valid UTF-8; leave everything else alone.
 */
export function repairMojibake(s: string): string {
  // Only text that fits in Latin-1 can be UTF-8 bytes shown as Latin-1.
  if (!/[ÃÂâ][\u0080-\u00bf]/.test(s) || [...s].some((c) => c.codePointAt(0)! > 0xff)) return s;
  const fixed = Buffer.from(s, 'latin1').toString('utf8');
  return fixed.includes('\ufffd') ? s : fixed;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', mdash: '—', ndash: '–', hellip: '…' };

/** InMail and newer messages are HTML: tags dropped, common entities decoded. */
export function htmlText(s: string): string {
  return s
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    });
}

function person(name: string | undefined, url: string | undefined): ParticipantRef | undefined {
  const handle = linkedInProfile(url);
  const n = name ? repairMojibake(name.trim()) : '';
  if (!handle && !n) return undefined;
  const ref: ParticipantRef = {};
  if (handle) ref.handle = handle;
  if (n) ref.name = n;
  return ref;
}

export interface MessageRow {
  conversationId: string;
  conversationTitle: string;
  from: string;
  senderUrl: string;
  to: string;
  recipientUrls: string;
  date: string;
  subject: string;
  content: string;
  draft: string;
}

/** Recipients: URLs are `;`- or `,`-separated; names are paired with them only when counts agree. */
function recipients(to: string, urls: string): ParticipantRef[] {
  const u = urls.split(/[;,]\s*/).map((s) => s.trim()).filter(Boolean);
  let names = to.split(/;\s*/).map((s) => s.trim()).filter(Boolean);
  if (names.length !== u.length && u.length > 1) names = to.split(/,\s*/).map((s) => s.trim()).filter(Boolean);
  if (u.length === 0) return names.flatMap((n) => person(n, undefined) ?? []);
  const paired = names.length === u.length;
  return u.flatMap((url, i) => person(paired ? names[i] : undefined, url) ?? []);
}

/** One messages.csv row → InteractionEvent, `null` for drafts, or the reason it is unusable. */
export function messageToInteraction(r: MessageRow): InteractionEvent | null | string {
  if (/^(yes|true)$/i.test(r.draft.trim())) return null;
  const timestamp = parseMessageDate(r.date);
  if (timestamp === undefined) return `unparsable DATE ${JSON.stringify(r.date.slice(0, 40))}`;
  if (!r.conversationId.trim()) return 'message without CONVERSATION ID';
  const from = person(r.from, r.senderUrl);
  const content = htmlText(repairMojibake(r.content));
  const ev: InteractionEvent = {
    kind: 'interaction',
    sourceType: 'linkedin',
    // No message id in the export: conversation, time, sender and text identify a message.
    externalId: stableId('linkedin-msg', r.conversationId.trim(), r.date.trim(), from?.handle ?? r.from.trim(), r.content),
    timestamp,
    title: repairMojibake(r.subject.trim() || r.conversationTitle.trim()) || 'LinkedIn message',
    conversationKey: `linkedin:${r.conversationId.trim()}`,
    participants: recipients(r.to, r.recipientUrls),
  };
  if (from) ev.from = from;
  const snippet = snippetOf(content);
  if (snippet) ev.snippet = snippet;
  return ev;
}
