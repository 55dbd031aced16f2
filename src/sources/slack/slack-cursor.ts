import { CursorInvalidError } from '../../errors.js';

/**
 * One conversation's resume point: every message up to `oldest` (a Slack ts) is read; `threads`:
 * recent threads (parent ts → newest reply read), followed for replies the history cannot show.
 */
export interface ConversationMark {
  oldest?: string;
  threads?: Record<string, string>;
}

/** A history read stopped between two pages: where the pages resume, and from what `oldest`. */
export interface PagingMark {
  id: string;
  cursor: string;
  /** The `oldest` the pass reads from (absent: the conversation's whole history). */
  from?: string;
  /** The newest ts the pass has seen: the conversation's `oldest` once the pass ends. */
  top?: string;
}

/**
 * Where a Slack read resumes: a ts per conversation (`conversations.history` from `oldest`), and
 * the page a stopped pass was at. A cursor is emitted after each page, so a killed run resumes
 * from the last page committed.
 */
export interface SlackCursor {
  v: 1;
  conversations: Record<string, ConversationMark>;
  paging?: PagingMark;
}

const TS = /^\d{9,11}(\.\d{1,6})?$/;

export function formatSlackCursor(c: SlackCursor): string {
  return JSON.stringify(c);
}

export function parseSlackCursor(raw: string): SlackCursor {
  const bad = () => new CursorInvalidError('not a cursor the Slack source wrote', 'slack_bad_cursor');
  let c: unknown;
  try {
    c = JSON.parse(raw);
  } catch {
    throw bad();
  }
  const x = c as { v?: unknown; conversations?: unknown; paging?: unknown };
  if (x?.v !== 1 || !x.conversations || typeof x.conversations !== 'object' || Array.isArray(x.conversations)) throw bad();
  const conversations: Record<string, ConversationMark> = {};
  const isTs = (v: unknown): v is string => typeof v === 'string' && TS.test(v);
  for (const [id, m] of Object.entries(x.conversations as Record<string, { oldest?: unknown; threads?: unknown }>)) {
    if (!m || typeof m !== 'object' || (m.oldest !== undefined && !isTs(m.oldest))) throw bad();
    const threads = m.threads ?? {};
    if (typeof threads !== 'object' || Array.isArray(threads) || !Object.entries(threads).every(([k, v]) => isTs(k) && isTs(v))) throw bad();
    conversations[id] = { ...(m.oldest ? { oldest: m.oldest } : {}), ...(Object.keys(threads).length ? { threads: threads as Record<string, string> } : {}) };
  }
  const out: SlackCursor = { v: 1, conversations };
  if (x.paging !== undefined) {
    const p = x.paging as Partial<PagingMark>;
    if (!p || typeof p.id !== 'string' || typeof p.cursor !== 'string' || !p.cursor) throw bad();
    for (const ts of [p.from, p.top]) if (ts !== undefined && (typeof ts !== 'string' || !TS.test(ts))) throw bad();
    out.paging = { id: p.id, cursor: p.cursor, ...(p.from ? { from: p.from } : {}), ...(p.top ? { top: p.top } : {}) };
  }
  return out;
}

/** The later of two Slack timestamps (compared as numbers: "…9.5" < "…10.1"). */
export function laterTs(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  const [as, af = ''] = a.split('.');
  const [bs, bf = ''] = b.split('.');
  if (as!.length !== bs!.length) return as!.length > bs!.length ? a : b;
  if (as !== bs) return as! > bs! ? a : b;
  return af.padEnd(6, '0') >= bf.padEnd(6, '0') ? a : b;
}
