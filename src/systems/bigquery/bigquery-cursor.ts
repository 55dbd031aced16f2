import { z } from 'zod';
import { CursorInvalidError } from '../../errors.js';

/**
 * listChanged cursor over (written_at µs, contact_id).
 * - `pos`: the exact position the next page starts after (pages never repeat within a scan).
 * - `hw`: the high-water mark, the newest position ever returned; it only moves forward.
 * When a scan reaches the end, `pos` is rewound to `hw − overlap`: the next run re-reads that
 * window and so picks up rows that became visible late (streaming-buffer visibility, writers'
 * clock skew), re-emitting a few already-seen contacts — harmless, consumers compare
 * version/hash. A row written more than `overlap` before the newest row and visible only after
 * the scan passed it would be missed; hence a generous default (10 minutes).
 */
export interface ChangeCursor {
  pos: [number, string];
  hw: [number, string];
}

const position = z.tuple([z.number().int(), z.string()]);
const schema = z.object({ pos: position, hw: position });

export const START: ChangeCursor = { pos: [0, ''], hw: [0, ''] };

export function encodeCursor(c: ChangeCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(text: string | undefined): ChangeCursor {
  if (text === undefined) return START;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new CursorInvalidError(`BigQuery cursor '${text.slice(0, 40)}' is not a cursor this adapter wrote`);
  }
  const r = schema.safeParse(parsed);
  if (!r.success) throw new CursorInvalidError(`BigQuery cursor '${text.slice(0, 40)}' is not a cursor this adapter wrote`);
  return r.data;
}

export function after(a: [number, string], b: [number, string]): boolean {
  return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
}

/** Cursor after a page: continue exactly, or (at the end) rewind the scan to hw − overlap. */
export function nextCursor(prev: ChangeCursor, last: [number, string] | undefined, done: boolean, overlapUs: number): ChangeCursor {
  const hw = last && after(last, prev.hw) ? last : prev.hw;
  if (!done && last) return { pos: last, hw };
  const rewound: [number, string] = overlapUs > 0 ? [Math.max(0, hw[0] - overlapUs), ''] : hw;
  return { pos: rewound, hw };
}
