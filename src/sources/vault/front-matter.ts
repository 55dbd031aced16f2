import { parseDocument } from 'yaml';

export type FrontMatter = Record<string, unknown>;

export type SplitNote = { ok: true; data: FrontMatter; body: string; bodyLine: number; lines: string[] } | { ok: false; line: number; reason: string };

/**
 * Splits a note into YAML front matter and body, the way Obsidian does: front matter only when
 * the very first line is `---` and a later line closes it with `---` (or `...`); otherwise the
 * whole file is body. Errors carry the 1-based line in the note.
 */
export function splitNote(text: string): SplitNote {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = src.split(/\r?\n/);
  if (lines[0]?.trimEnd() !== '---') return { ok: true, data: {}, body: src, bodyLine: 1, lines: [] };
  const end = lines.findIndex((l, i) => i > 0 && (l.trimEnd() === '---' || l.trimEnd() === '...'));
  if (end < 0) return { ok: true, data: {}, body: src, bodyLine: 1, lines: [] };
  const fm = lines.slice(1, end);
  const doc = parseDocument(fm.join('\n'), { uniqueKeys: false });
  const err = doc.errors[0];
  if (err) return { ok: false, line: (err.linePos?.[0]?.line ?? 1) + 1, reason: `malformed front matter: ${err.message.split('\n')[0]}` };
  const data: unknown = doc.toJS();
  if (data != null && (typeof data !== 'object' || Array.isArray(data))) return { ok: false, line: 2, reason: 'front matter is not a key: value mapping' };
  return { ok: true, data: (data ?? {}) as FrontMatter, body: lines.slice(end + 1).join('\n'), bodyLine: end + 2, lines: fm };
}

/** 1-based line (in the note) of a top-level front matter key, for error reports. */
export function keyLine(fmLines: string[], key: string): number {
  const i = fmLines.findIndex((l) => l.startsWith(`${key}:`));
  return i < 0 ? 1 : i + 2;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A front matter date → epoch ms. A date without a time is midnight UTC and a time without a
 * zone is read as UTC, so one vault gives the same timestamps on every machine (the server's
 * zone is not the note writer's). Returns undefined for anything else.
 */
export function parseNoteDate(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  const d = DATE_ONLY.exec(s);
  if (d) return checked(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])), s);
  const t = DATE_TIME.exec(s);
  if (!t) return undefined;
  const zone = !t[3] || t[3].toUpperCase() === 'Z' ? 'Z' : t[3].length === 5 ? `${t[3].slice(0, 3)}:${t[3].slice(3)}` : t[3];
  const time = t[2]?.length === 5 ? `${t[2]}:00` : t[2];
  const ms = Date.parse(`${t[1]}T${time}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Rejects dates JavaScript silently rolls over (2024-02-31 → March 2). */
function checked(ms: number, iso: string): number | undefined {
  return new Date(ms).toISOString().slice(0, 10) === iso ? ms : undefined;
}
