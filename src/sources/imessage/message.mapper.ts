import { refFromIdentifier } from '../common/participant-ref.js';
import { snippetOf } from '../common/source-path.js';
import type { InteractionEvent, InteractionSourceType, ParticipantRef, SkippedRecord } from '../source-event.js';
import { textFromAttributedBody } from './attributed-body.js';

/** One `message` row as selected by ChatDb (optional columns are null when absent). */
export interface MessageRow {
  rowid: number;
  guid: string | null;
  text: string | null;
  attributedBody: Uint8Array | null;
  handleId: number | null;
  date: number | null;
  isFromMe: number | null;
  service: string | null;
  associatedType: number | null;
  dateEdited: number | null;
  dateRetracted: number | null;
  itemType: number | null;
  chatId: number | null;
}

export interface ChatInfo {
  guid: string;
  identifier: string | null;
  displayName: string | null;
  /** Handle identifiers (phones, emails) of the other members; chat.db never lists self. */
  members: string[];
}

export interface MapContext {
  file: string;
  handles: Map<number, string>;
  chats: Map<number, ChatInfo>;
}

/** 2001-01-01T00:00:00Z, the Core Data reference date, in Unix ms. */
export const APPLE_EPOCH_MS = 978_307_200_000;

/**
 * Apple-epoch time to Unix ms. chat.db stored seconds until macOS 10.13 and nanoseconds since;
 * the unit is told by magnitude: seconds stay below 1e10 until the year 2318, nanoseconds pass
 * 1e12 one quarter-hour after the reference date.
 */
export function appleTimeToMs(value: number): number {
  return Math.abs(value) >= 1e12 ? Math.round(value / 1e6) + APPLE_EPOCH_MS : Math.round(value * 1000) + APPLE_EPOCH_MS;
}

/** SMS, MMS and RCS go over the carrier: they count as 'sms'; the rest is iMessage. */
export function sourceTypeOf(service: string | null): InteractionSourceType {
  return service && /^(sms|mms|rcs)$/i.test(service) ? 'sms' : 'imessage';
}

/**
 * One message row → one interaction, or null for rows that are not messages between people:
 * tapbacks / reactions (associated_message_type ≠ 0), system rows (item_type ≠ 0: renames,
 * members joining) and messages the sender unsent (date_retracted set). An edited message keeps
 * its guid, so it stays one interaction with its original timestamp.
 * Participants follow the interaction rules: from someone else → the other chat members besides the sender;
 * from self → every member of the chat.
 */
export function mapMessage(row: MessageRow, ctx: MapContext): InteractionEvent | SkippedRecord | null {
  if (row.associatedType) return null;
  if (row.itemType) return null;
  if (row.dateRetracted) return null;
  const skip = (reason: string): SkippedRecord => ({ kind: 'skipped', file: ctx.file, reason: `message ROWID ${row.rowid}: ${reason}` });
  if (!row.guid) return skip('no guid');
  if (row.date == null || row.date === 0) return skip('no date');

  const fromSelf = row.isFromMe === 1;
  const chat = row.chatId != null ? ctx.chats.get(row.chatId) : undefined;
  const handle = row.handleId ? ctx.handles.get(row.handleId) : undefined;
  let members = chat?.members ?? [];
  // A 1:1 message outside any chat (very old databases): the handle is the other party.
  if (members.length === 0 && handle) members = [handle];

  let from: ParticipantRef | undefined;
  let participants: ParticipantRef[];
  if (fromSelf) {
    participants = members.map((m) => refFromIdentifier(m));
  } else {
    if (!handle) return skip('incoming message without a sender handle');
    from = refFromIdentifier(handle);
    participants = members.filter((m) => m !== handle).map((m) => refFromIdentifier(m));
  }
  if (fromSelf && participants.length === 0) return skip('outgoing message without recipients');

  const sourceType = sourceTypeOf(row.service);
  const label = sourceType === 'sms' ? 'SMS' : 'iMessage';
  const who = chat?.displayName || chat?.identifier || handle || 'unknown';
  const event: InteractionEvent = {
    kind: 'interaction',
    sourceType,
    externalId: row.guid,
    timestamp: appleTimeToMs(row.date),
    title: `${label} · ${who}`,
    conversationKey: chat?.guid ?? `handle:${handle ?? members[0]}`,
    participants,
  };
  const snippet = snippetOf(row.text ?? textFromAttributedBody(row.attributedBody));
  if (snippet) event.snippet = snippet;
  if (from) event.from = from;
  if (fromSelf) event.fromSelf = true;
  return event;
}
