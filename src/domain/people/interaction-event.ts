/**
 * The people graph's vocabulary for what happened: one communication with the participants it
 * involved, as a source reports it. Sources yield these (src/sources/source-event.ts adds the
 * parser protocol around them); the interaction rules turn them into rows.
 */

/** Interaction source types stored in `interactions.source_type` (the names the cached counts are keyed by). */
export type InteractionSourceType = 'gmail' | 'calendar' | 'imessage' | 'sms' | 'whatsapp' | 'slack' | 'phone' | 'vault' | 'granola' | 'linkedin';

/** How a participant is known in one source. At least one of the identifiers is set. */
export interface ParticipantRef {
  email?: string;
  phone?: string;
  /** Source-scoped handle: Slack user id, iMessage handle, LinkedIn profile URL, … */
  handle?: string;
  name?: string;
}

/** One communication: an email, a calendar event, a chat or SMS message, a call, a note. */
export interface InteractionEvent {
  kind: 'interaction';
  sourceType: InteractionSourceType;
  /** Unique within sourceType and stable across re-imports (Message-ID, UID+recurrence, …). */
  externalId: string;
  /** Epoch milliseconds. */
  timestamp: number;
  title: string;
  snippet?: string;
  /** Thread / event / chat / channel id, for relationship discovery. */
  conversationKey: string;
  /** Who sent or organised it (may be self). */
  from?: ParticipantRef;
  /** Everyone else involved (To/Cc, attendees, chat members, people mentioned in a note). */
  participants: ParticipantRef[];
  /** Set when the parser knows the item came from self (sent mail, outgoing message). */
  fromSelf?: boolean;
}
