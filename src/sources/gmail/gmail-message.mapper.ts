import type { HeaderMap } from '../mbox/mail-headers.js';
import { mapMessage, type MappedMessage } from '../mbox/message.mapper.js';

/** The headers the interaction rules read, asked for with `format=metadata`. */
export const METADATA_HEADERS = ['From', 'To', 'Cc', 'Bcc', 'Date', 'Subject', 'Message-ID', 'In-Reply-To', 'References'] as const;

/** What `users.messages.get` answers (the parts read here). */
export interface GmailApiMessage {
  id?: string | null;
  threadId?: string | null;
  labelIds?: string[] | null;
  snippet?: string | null;
  payload?: { headers?: { name?: string | null; value?: string | null }[] | null } | null;
}

/**
 * A message read through the API, mapped by the mbox mapper itself, so it gets exactly the key a
 * Takeout mbox gives it (source type `gmail`, the RFC Message-ID) and counts once however it was
 * reached. Labels become the X-Gmail-Labels the export writes (SENT, DRAFT, SPAM read alike), and
 * the thread id the decimal X-GM-THRID.
 */
export function mapApiMessage(m: GmailApiMessage): MappedMessage {
  const h: HeaderMap = new Map();
  for (const { name, value } of m.payload?.headers ?? []) {
    if (!name || value === null || value === undefined) continue;
    const k = name.toLowerCase();
    const list = h.get(k);
    if (list) list.push(value);
    else h.set(k, [value]);
  }
  if (m.labelIds?.length) h.set('x-gmail-labels', [m.labelIds.join(',')]);
  const thread = threadDecimal(m.threadId);
  if (thread) h.set('x-gm-thrid', [thread]);
  return mapMessage(h, m.snippet ? decodeEntities(m.snippet) : undefined);
}

/** Gmail's API thread id is the hex form of Takeout's decimal X-GM-THRID. */
export function threadDecimal(hex: string | null | undefined): string | undefined {
  if (!hex || !/^[0-9a-f]{1,16}$/i.test(hex)) return undefined;
  return BigInt(`0x${hex}`).toString(10);
}

/** The API's snippet is HTML-escaped. */
function decodeEntities(s: string): string {
  return s.replace(/&(#39|quot|amp|lt|gt);/g, (_, e: string) => ({ '#39': "'", quot: '"', amp: '&', lt: '<', gt: '>' })[e]!);
}
