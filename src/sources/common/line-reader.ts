import { createReadStream } from 'node:fs';
import { unreadable } from './source-path.js';

/** One line of a file, without its terminator. */
export interface FileLine {
  /** The line decoded as UTF-8, trailing `\r` removed. */
  text: string;
  /** The raw bytes (a view into the read chunk: copy before keeping it, or it pins the chunk). */
  raw: Buffer;
  /** 1-based line number. */
  line: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Byte offset just past the line's terminator (= next line's offset). */
  end: number;
  /** False only for a last line that has no trailing newline (possibly still being written). */
  terminated: boolean;
}

export interface ReadLinesOptions {
  /** Byte offset to start at (a cursor's offset; must be a line start). */
  start?: number;
  /** Line number of the line at `start` (1-based). */
  startLine?: number;
  /**
   * Longest line kept, in bytes; the rest of a longer line is dropped while its offsets stay
   * exact. This bounds memory on a pathological file (one huge line) — nothing else is buffered.
   */
  maxLineBytes?: number;
}

const NL = 0x0a;

/** A line whose text is decoded only when asked for: most mbox body lines never are. */
class Line implements FileLine {
  private decoded: string | undefined;
  constructor(
    readonly raw: Buffer,
    readonly line: number,
    readonly offset: number,
    readonly end: number,
    readonly terminated: boolean,
  ) {}
  get text(): string {
    if (this.decoded === undefined) {
      const t = this.raw.toString('utf8');
      this.decoded = t.endsWith('\r') ? t.slice(0, -1) : t;
    }
    return this.decoded;
  }
}

/**
 * Stream a file line by line with exact byte offsets, which readline cannot give and append
 * cursors need. Memory is one read chunk plus at most one line (capped by `maxLineBytes`).
 */
export async function* readLines(path: string, opts: ReadLinesOptions = {}): AsyncGenerator<FileLine> {
  for await (const batch of readLineBatches(path, opts)) yield* batch;
}

/**
 * The same lines, one array per read chunk (1 MB): a parser that handles them synchronously
 * pays one await per chunk instead of one per line, which is most of the cost on small lines.
 */
export async function* readLineBatches(path: string, opts: ReadLinesOptions = {}): AsyncGenerator<FileLine[]> {
  const maxLine = opts.maxLineBytes ?? 1 << 20;
  let offset = opts.start ?? 0;
  let line = opts.startLine ?? 1;
  let parts: Buffer[] = [];
  let kept = 0;
  let pendingStart = offset;
  const stream = createReadStream(path, { start: offset, highWaterMark: 1 << 20 });

  const keep = (chunk: Buffer): void => {
    if (kept >= maxLine) return;
    const piece = chunk.length + kept > maxLine ? chunk.subarray(0, maxLine - kept) : chunk;
    parts.push(piece);
    kept += piece.length;
  };

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const batch: FileLine[] = [];
      let from = 0;
      while (from < chunk.length) {
        const nl = chunk.indexOf(NL, from);
        if (nl < 0) {
          // Copy: a retained view would pin the whole chunk.
          keep(Buffer.from(chunk.subarray(from)));
          offset += chunk.length - from;
          break;
        }
        const piece = chunk.subarray(from, nl);
        offset += nl + 1 - from;
        let raw: Buffer;
        if (parts.length === 0) raw = piece.length > maxLine ? piece.subarray(0, maxLine) : piece;
        else {
          keep(piece);
          raw = Buffer.concat(parts, kept);
        }
        batch.push(new Line(raw, line++, pendingStart, offset, true));
        parts = [];
        kept = 0;
        pendingStart = offset;
        from = nl + 1;
      }
      if (batch.length) yield batch;
    }
  } catch (err) {
    throw unreadable(path, err);
  } finally {
    stream.destroy();
  }
  if (offset > pendingStart) yield [new Line(Buffer.concat(parts, kept), line, pendingStart, offset, false)];
}
