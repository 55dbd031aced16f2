/**
 * Open threads, pure. Kith does not record who wrote a message, but the interaction rules
 * (src/domain/people/interaction-rules.ts) tell it for chats: a chat message from someone else
 * is one interaction with its sender, a message you send is one interaction with every other
 * participant. So in a chat conversation with at least two other people, a last message
 * attributed to one person alone came from them, and nothing followed it: that conversation is
 * open, waiting for you. (In a one-to-one chat both directions look alike: never reported.)
 */
export interface ConversationTail {
  conversationKey: string;
  /** Distinct people with any interaction in the conversation. */
  people: number;
  /** The interactions at the conversation's latest time. */
  last: { personId: string; at: number; channel: string; title: string }[];
}

export interface OpenThread {
  conversationKey: string;
  at: number;
  channel: string;
  title: string;
}

/** Open threads by person id, each person's most recent first. */
export function openThreadsByPerson(tails: readonly ConversationTail[]): Map<string, OpenThread[]> {
  const out = new Map<string, OpenThread[]>();
  for (const t of tails) {
    if (t.people < 2 || t.last.length === 0) continue;
    const who = new Set(t.last.map((l) => l.personId));
    if (who.size !== 1) continue;
    const l = t.last[0]!;
    const list = out.get(l.personId) ?? [];
    list.push({ conversationKey: t.conversationKey, at: l.at, channel: l.channel, title: l.title });
    out.set(l.personId, list);
  }
  for (const list of out.values()) list.sort((a, b) => b.at - a.at || a.conversationKey.localeCompare(b.conversationKey));
  return out;
}
