import type { InteractionEvent, ParticipantRef } from '../source-event.js';
import { stableId } from '../common/stable-id.js';
import { parseAddressList } from './address-list.js';
import { parseMailDate } from './mail-date.js';
import { decodeText, first, gmailLabels, messageIds } from './mail-headers.js';
import type { HeaderMap } from './mail-headers.js';

/** Gmail labels whose messages are not communications with anyone. */
const NOT_SENT = new Set(['drafts', 'draft', 'spam']);

export type MappedMessage =
  | { kind: 'event'; event: InteractionEvent }
  | { kind: 'skip'; reason: string }
  | { kind: 'drop'; reason: string };

function dedupe(refs: ParticipantRef[]): ParticipantRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const k = r.email ?? '';
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * One message's headers (and text snippet) as an InteractionEvent. A message without a usable
 * Date or From is malformed (`skip`, reported); drafts and spam are not interactions (`drop`,
 * silent). externalId: the Message-ID, else a hash of Date/From/To/Subject — both stable.
 */
export function mapMessage(h: HeaderMap, snippet: string | undefined): MappedMessage {
  const rawDate = first(h, 'date');
  if (rawDate === undefined) return { kind: 'skip', reason: 'missing Date header' };
  const timestamp = parseMailDate(rawDate);
  if (timestamp === null) return { kind: 'skip', reason: `unparsable Date header ${JSON.stringify(rawDate.slice(0, 80))}` };

  const rawFrom = first(h, 'from');
  const from = rawFrom === undefined ? undefined : parseAddressList(rawFrom)[0];
  if (!from) return { kind: 'skip', reason: rawFrom === undefined ? 'missing From header' : `no address in From header ${JSON.stringify(rawFrom.slice(0, 80))}` };

  const labels = gmailLabels(first(h, 'x-gmail-labels')).map((l) => l.toLowerCase());
  const dropped = labels.find((l) => NOT_SENT.has(l));
  if (dropped) return { kind: 'drop', reason: `label ${dropped}` };

  const addresses = (name: string): ParticipantRef[] => (h.get(name) ?? []).flatMap(parseAddressList);
  const participants = dedupe([...addresses('to'), ...addresses('cc'), ...addresses('bcc')]);

  const rawSubject = first(h, 'subject');
  const messageId = messageIds(first(h, 'message-id'))[0];
  const externalId = messageId ?? stableId('mbox', rawDate, rawFrom, (h.get('to') ?? []).join(','), rawSubject);
  const thread = first(h, 'x-gm-thrid')?.trim();
  const conversationKey =
    (thread || undefined) ?? messageIds(first(h, 'references'))[0] ?? messageIds(first(h, 'in-reply-to'))[0] ?? externalId;

  const event: InteractionEvent = {
    kind: 'interaction',
    sourceType: 'gmail',
    externalId,
    timestamp,
    title: rawSubject ? decodeText(rawSubject) || '(no subject)' : '(no subject)',
    conversationKey,
    from,
    participants,
  };
  if (snippet) event.snippet = snippet;
  if (labels.includes('sent')) event.fromSelf = true;
  return { kind: 'event', event };
}
