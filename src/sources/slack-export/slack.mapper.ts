import { snippetOf } from '../common/source-path.js';
import type { ContactEvent, InteractionEvent, ParticipantRef, SkippedRecord } from '../source-event.js';

export interface SlackUser {
  id?: string;
  name?: string;
  real_name?: string;
  deleted?: boolean;
  is_bot?: boolean;
  profile?: { real_name?: string; display_name?: string; email?: string; phone?: string; title?: string };
}

export interface SlackMessage {
  type?: string;
  subtype?: string;
  ts?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  thread_ts?: string;
  hidden?: boolean;
}

export interface Conversation {
  id: string;
  /** Folder of day files: the channel name, or the id for DMs. */
  folder: string;
  kind: 'channel' | 'private' | 'dm' | 'group-dm';
  name?: string;
  members: string[];
}

/**
 * Subtypes that are people talking. Everything else (joins, leaves, topic/purpose/name changes,
 * pins, bot and app messages, `message_deleted`, the `tombstone` left by a deleted thread
 * parent) is not an interaction and is dropped silently.
 */
const PEOPLE_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share', 'me_message']);
const BOT_IDS = new Set(['USLACKBOT']);

export function isPerson(u: SlackUser): boolean {
  return !!u.id && !u.is_bot && !BOT_IDS.has(u.id);
}

export function displayName(u: SlackUser | undefined): string | undefined {
  return u?.profile?.real_name || u?.real_name || u?.profile?.display_name || u?.name || undefined;
}

/** A workspace member → a contact (deleted members too: former colleagues are still people). */
export function userToContact(u: SlackUser): ContactEvent {
  const email = u.profile?.email?.trim().toLowerCase();
  const phone = u.profile?.phone?.trim();
  const c: ContactEvent = { kind: 'contact', sourceType: 'slack-export', externalId: u.id as string, emails: email ? [email] : [], phones: phone ? [phone] : [], handles: [u.id as string] };
  const name = displayName(u);
  if (name) c.name = name;
  if (u.profile?.title) c.jobTitle = u.profile.title;
  return c;
}

export function userRef(id: string, users: Map<string, SlackUser>): ParticipantRef {
  const u = users.get(id);
  const ref: ParticipantRef = { handle: id };
  const name = displayName(u);
  if (name) ref.name = name;
  const email = u?.profile?.email?.trim().toLowerCase();
  if (email) ref.email = email;
  return ref;
}

/** Slack `ts` ("1709649000.123456", seconds.micros) → epoch ms without float rounding surprises. */
export function tsToMs(ts: string | undefined): number | undefined {
  const m = /^(\d{9,11})(?:\.(\d{1,6}))?$/.exec(ts ?? '');
  if (!m) return undefined;
  return Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(3, '0').slice(0, 3));
}

/** Slack mrkdwn entities → readable text: `<@U1>` → `@Ada`, `<#C1|general>` → `#general`, links → their label. */
export function plainText(text: string | undefined, users: Map<string, SlackUser>): string | undefined {
  if (!text) return undefined;
  return text
    .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, (_, id: string) => `@${displayName(users.get(id)) ?? id}`)
    .replace(/<#[CG][A-Z0-9]+\|([^>]*)>/g, '#$1')
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2')
    .replace(/<([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function titleOf(conv: Conversation, users: Map<string, SlackUser>): string {
  if (conv.kind === 'channel' || conv.kind === 'private') return `Slack #${conv.name ?? conv.folder}`;
  const names = conv.members.map((m) => displayName(users.get(m)) ?? m).join(', ');
  return `Slack ${conv.kind === 'dm' ? 'DM' : 'group DM'} · ${names}`;
}

/**
 * One message → one 'slack' interaction from its sender, with the conversation's other members
 * as participants (an export does not say which member is self: phase 1 recognises self's
 * email). externalId is `<channel id>:<ts>`, or `<channel id>:<thread_ts>/<ts>` for a thread
 * reply, so the thread stays visible while conversationKey stays the channel. An edited
 * message keeps its ts, hence its id.
 */
export function mapMessage(msg: SlackMessage, index: number, conv: Conversation, users: Map<string, SlackUser>, file: string): InteractionEvent | SkippedRecord | null {
  if (msg.hidden || !PEOPLE_SUBTYPES.has(msg.subtype) || (msg.type && msg.type !== 'message')) return null;
  const skip = (reason: string): SkippedRecord => ({ kind: 'skipped', file, reason: `message ${index + 1}${msg.ts ? ` (ts ${msg.ts})` : ''}: ${reason}` });
  if (!msg.user) return msg.bot_id ? null : skip('no user');
  if (BOT_IDS.has(msg.user) || users.get(msg.user)?.is_bot) return null;
  const timestamp = tsToMs(msg.ts);
  if (timestamp === undefined) return skip(`ts '${msg.ts ?? ''}' is not a Slack timestamp`);

  const reply = msg.thread_ts && msg.thread_ts !== msg.ts;
  const event: InteractionEvent = {
    kind: 'interaction',
    sourceType: 'slack',
    externalId: reply ? `${conv.id}:${msg.thread_ts}/${msg.ts}` : `${conv.id}:${msg.ts}`,
    timestamp,
    title: reply ? `${titleOf(conv, users)} · thread` : titleOf(conv, users),
    conversationKey: conv.id,
    from: userRef(msg.user, users),
    participants: conv.members.filter((m) => m !== msg.user && !BOT_IDS.has(m) && !users.get(m)?.is_bot).map((m) => userRef(m, users)),
  };
  const snippet = snippetOf(plainText(msg.text, users));
  if (snippet) event.snippet = snippet;
  return event;
}
