import { MARKS } from './line-format.js';

/** Notices that are never someone's message, whatever the sender field says. */
const NOTICE = [
  /^Messages and calls are end-to-end encrypted/i,
  /^Messages to this (?:group|chat) are now secured/i,
  /^Your security code with .+ changed/i,
  /^[^:]{1,100} changed their phone number/i,
  /^This (?:chat|group) is with a business account/i,
  /^Disappearing messages/i,
];

/** Group events. iOS puts them after the group's name with a leading U+200E; Android bare. */
const GROUP_EVENT =
  /^(?:.{1,100} )?(?:created group|created this group|added .+|removed .+|left|joined using this group's invite link|changed the subject|changed this group's icon|deleted this group's icon|changed the group description|changed the group name|changed (?:this )?group settings|pinned a message|turned (?:on|off) disappearing messages)/i;

const MEDIA = /^(?:<Media omitted>|(?:image|video|audio|sticker|GIF|document|Contact card|photo) omitted|<attached: [^>]+>|.+ \(file attached\))$/i;
const DELETED = /^(?:This message was deleted|You deleted this message)\.?$/i;
const EDITED = /\s*<This message was edited>$/;

export type LineBody =
  | { kind: 'system' }
  | { kind: 'message'; sender: string; text: string };

/**
 * Split what follows a timestamp into sender and text, or recognise a system notice. Android
 * notices have no `Name: `; iOS ones do (the chat's name, or the contact in a 1:1 chat) and mark
 * the text with U+200E, which is how a notice is told from a message that says "added".
 */
export function splitBody(rest: string): LineBody {
  const clean = rest.replace(MARKS, '');
  if (NOTICE.some((r) => r.test(clean))) return { kind: 'system' };
  const colon = rest.indexOf(': ');
  // Android notice: no sender; "X changed the subject from "a: b"" has a colon inside quotes.
  if (colon < 0 || /^[^:]{1,100} changed the (?:subject|group description)/.test(clean)) return { kind: 'system' };
  const sender = rest.slice(0, colon).replace(MARKS, '').trim();
  const rawText = rest.slice(colon + 2);
  const text = rawText.replace(MARKS, '');
  if (NOTICE.some((r) => r.test(text))) return { kind: 'system' };
  if (/^\s*\u200e/.test(rawText) && GROUP_EVENT.test(text)) return { kind: 'system' };
  if (!sender) return { kind: 'system' };
  return { kind: 'message', sender, text };
}

export interface MessageText {
  snippet: string;
  edited: boolean;
}

/** The message's full text (continuations joined) → snippet text; media and deletions named. */
export function describeText(full: string): MessageText {
  let text = full.replace(MARKS, '').replace(/\s+$/, '');
  const edited = EDITED.test(text);
  if (edited) text = text.replace(EDITED, '');
  if (MEDIA.test(text.trim())) return { snippet: '(media)', edited };
  if (DELETED.test(text.trim())) return { snippet: '(message deleted)', edited };
  return { snippet: text, edited };
}
