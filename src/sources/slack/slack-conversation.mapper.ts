import type { Conversation } from '../slack-export/slack.mapper.js';

/** What `conversations.list` answers for one conversation (the parts read here). */
export interface ApiConversation {
  id?: string;
  name?: string;
  is_channel?: boolean;
  is_group?: boolean;
  is_private?: boolean;
  is_im?: boolean;
  is_mpim?: boolean;
  is_archived?: boolean;
  /** An IM's other member. */
  user?: string;
}

/**
 * A conversation as the export's mapper knows it, so a message read through the API gets the
 * export's key, title and participants: channels and private channels by name, IMs and group
 * DMs by their members. `folder` is the export's folder name (unused here but kept alike).
 */
export function toConversation(c: ApiConversation & { id: string }, members: string[]): Conversation {
  const kind: Conversation['kind'] = c.is_im ? 'dm' : c.is_mpim ? 'group-dm' : c.is_private || c.is_group ? 'private' : 'channel';
  const folder = kind === 'dm' ? c.id : (c.name ?? c.id);
  return { id: c.id, folder, kind, ...(c.name ? { name: c.name } : {}), members };
}

/** Whether a configured filter keeps a conversation: `channels` (names or ids) if given, minus `exclude`. */
export function keepConversation(c: ApiConversation & { id: string }, only: readonly string[] | undefined, exclude: readonly string[]): boolean {
  const names = [c.id, ...(c.name ? [c.name, `#${c.name}`] : [])];
  if (exclude.some((x) => names.includes(x))) return false;
  return !only || only.some((x) => names.includes(x));
}
