import { createHash } from 'node:crypto';
import { refFromIdentifier } from '../common/participant-ref.js';
import { snippetOf } from '../common/source-path.js';
import type { InteractionEvent, ParticipantRef, SkippedRecord } from '../source-event.js';
import { cleanName, epochMs } from './call.mapper.js';
import type { XmlRecord } from './xml-records.js';

/** Telephony.Sms.TYPE / Mms.MESSAGE_BOX: only received (1) and sent (2) are messages between people; drafts, outbox, failed and queued are not. */
const RECEIVED = '1';
const SENT = '2';
/** PduHeaders address types in `<addr type>`. */
const FROM = '137';
/** Android's placeholder for "my own number" in MMS address lists. */
const SELF_TOKEN = 'insert-address-token';

function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12);
}

function addresses(list: string | undefined): string[] {
  return [...new Set((list ?? '').split('~').map((s) => s.trim()).filter((s) => s && s !== SELF_TOKEN))].sort();
}

/**
 * `<sms>` → one 'sms' interaction. SMS carry no id, so the externalId hashes what identifies
 * the message (time, address, direction, body): stable across re-exports of the same phone.
 */
export function mapSms(rec: XmlRecord, file: string): InteractionEvent | SkippedRecord | null {
  const a = rec.attrs;
  if (a.type !== RECEIVED && a.type !== SENT) return null;
  const skip = (reason: string): SkippedRecord => ({ kind: 'skipped', file, line: rec.line, reason });
  const address = (a.address ?? '').trim();
  if (!address) return skip('sms without address');
  const timestamp = epochMs(a.date);
  if (timestamp === undefined) return skip(`sms date '${a.date ?? ''}' is not epoch milliseconds`);
  const other = refFromIdentifier(address, cleanName(a.contact_name));
  delete other.handle;
  const event: InteractionEvent = {
    kind: 'interaction',
    sourceType: 'sms',
    externalId: `sms:${timestamp}:${address}:${a.type}:${shortHash(a.body ?? '')}`,
    timestamp,
    title: `SMS · ${other.name ?? address}`,
    conversationKey: `sms:${address}`,
    participants: a.type === SENT ? [other] : [],
  };
  const snippet = snippetOf(a.body);
  if (snippet) event.snippet = snippet;
  if (a.type === SENT) event.fromSelf = true;
  else event.from = other;
  return event;
}

/**
 * `<mms>` (pictures, group texts) → one 'sms' interaction. The sender is the `<addr type=137>`;
 * everyone else listed is a participant. Group MMS address lists usually include the user's own
 * number: parsers do not know self, phase 1 drops it like every other self identifier.
 */
export function mapMms(rec: XmlRecord, file: string): InteractionEvent | SkippedRecord | null {
  const a = rec.attrs;
  const box = a.msg_box;
  if (box !== RECEIVED && box !== SENT) return null;
  const skip = (reason: string): SkippedRecord => ({ kind: 'skipped', file, line: rec.line, reason });
  const timestamp = epochMs(a.date);
  if (timestamp === undefined) return skip(`mms date '${a.date ?? ''}' is not epoch milliseconds`);
  const addrs = rec.children.filter((c) => c.name === 'addr' && c.attrs.address && c.attrs.address !== SELF_TOKEN);
  const sender = addrs.find((c) => c.attrs.type === FROM)?.attrs.address;
  const members = addresses(a.address);
  for (const c of addrs) if (!members.includes(c.attrs.address as string)) members.push(c.attrs.address as string);
  if (members.length === 0) return skip('mms without addresses');

  let from: ParticipantRef | undefined;
  let others = members;
  if (box === RECEIVED) {
    if (!sender) return skip('received mms without a sender address');
    from = noHandle(refFromIdentifier(sender));
    others = members.filter((m) => m !== sender);
  } else if (sender) {
    others = members.filter((m) => m !== sender);
  }
  const names = (a.contact_name ?? '').split(',').map((s) => s.trim());
  const text = rec.children.filter((c) => c.name === 'part' && c.attrs.ct === 'text/plain').map((c) => c.attrs.text ?? '').join(' ');
  const conversation = addresses(a.address).join(',') || members.join(',');
  const event: InteractionEvent = {
    kind: 'interaction',
    sourceType: 'sms',
    externalId: a.m_id ? `mms:${a.m_id}` : `mms:${timestamp}:${conversation}:${box}:${shortHash(text)}`,
    timestamp,
    title: `MMS · ${cleanName(names.join(', ')) ?? conversation.replace(/,/g, ', ')}`,
    conversationKey: `sms:${conversation}`,
    participants: others.map((m) => noHandle(refFromIdentifier(m))),
  };
  const snippet = snippetOf(text);
  if (snippet) event.snippet = snippet;
  if (from) event.from = from;
  if (box === SENT) event.fromSelf = true;
  return event;
}

function noHandle(ref: ParticipantRef): ParticipantRef {
  delete ref.handle;
  return ref;
}
