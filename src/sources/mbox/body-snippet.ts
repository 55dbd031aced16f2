// libmime's charset table (iconv-lite): Node's TextDecoder decodes windows-1252 as latin1.
import { decode as decodeQp } from 'libqp';
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { snippetOf } from '../common/source-path.js';
import { parseHeaderBlock, parseStructured, first } from './mail-headers.js';
import type { HeaderMap } from './mail-headers.js';

const MAX_RAW = 8 * 1024;
const MAX_PART_HEADER_LINES = 200;
const MAX_DEPTH = 8;
const DASH = 0x2d;
const GT = 0x3e;
const NEWLINE = Buffer.from('\n');

interface PartInfo {
  type: string;
  charset: string;
  encoding: string;
  attachment: boolean;
}

function partInfo(h: HeaderMap): PartInfo & { boundary?: string } {
  const ct = parseStructured(first(h, 'content-type'));
  const disp = parseStructured(first(h, 'content-disposition'));
  return {
    type: ct.value || 'text/plain',
    charset: ct.params.charset ?? 'utf-8',
    encoding: (first(h, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase(),
    attachment: disp.value === 'attachment',
    boundary: ct.params.boundary,
  };
}

/**
 * Follows a message body line by line and keeps the first text/plain part that is not an
 * attachment — at most a few KB of it. Other parts (HTML, attachments of any size) are only
 * scanned for boundaries, never buffered or decoded, so memory stays bounded per message.
 */
export class SnippetCollector {
  private boundaries: string[] = [];
  private mode: 'collect' | 'preamble' | 'part-headers' | 'skip' | 'done' = 'done';
  private partHeaders: string[] = [];
  private raw: Buffer[] = [];
  private rawBytes = 0;
  private info: PartInfo | undefined;

  constructor(headers: HeaderMap) {
    this.enter(partInfo(headers));
  }

  private enter(p: PartInfo & { boundary?: string }): void {
    if (p.type.startsWith('multipart/') && p.boundary && this.boundaries.length < MAX_DEPTH) {
      this.boundaries.push(p.boundary);
      this.mode = 'preamble';
    } else if (p.type === 'text/plain' && !p.attachment) {
      this.info = p;
      this.mode = 'collect';
    } else {
      this.mode = this.boundaries.length > 0 ? 'skip' : 'done';
    }
  }

  /**
   * Feed one body line: raw bytes, and its text decoded only when needed (a possible boundary,
   * a part header, a quoted ">From " line) — most body lines are never decoded.
   */
  feed(l: { readonly raw: Buffer; readonly text: string }): void {
    if (this.mode === 'done') return;
    const raw = l.raw;
    if (this.boundaries.length > 0 && raw[0] === DASH && raw[1] === DASH) {
      const text = l.text;
      for (let k = this.boundaries.length - 1; k >= 0; k--) {
        const b = `--${this.boundaries[k]}`;
        if (!text.startsWith(b)) continue;
        const rest = text.slice(b.length).trimEnd();
        if (rest !== '' && rest !== '--') continue;
        if (this.mode === 'collect') {
          this.mode = 'done';
          return;
        }
        this.boundaries.length = rest === '--' ? k : k + 1;
        this.mode = rest === '--' ? (this.boundaries.length > 0 ? 'skip' : 'done') : 'part-headers';
        this.partHeaders = [];
        return;
      }
    }
    if (this.mode === 'part-headers') {
      const text = l.text;
      if (text === '') {
        const parsed = parseHeaderBlock(this.partHeaders);
        if (parsed.ok) this.enter(partInfo(parsed.headers));
        else this.mode = 'skip';
      } else if (this.partHeaders.length < MAX_PART_HEADER_LINES) this.partHeaders.push(text);
    } else if (this.mode === 'collect') {
      // mboxrd quoting: ">From " in the file was "From " in the message.
      const line = raw[0] === GT && /^>+From /.test(l.text) ? raw.subarray(1) : raw;
      const copy = Buffer.from(line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line);
      this.raw.push(copy, NEWLINE);
      this.rawBytes += copy.length + 1;
      if (this.rawBytes >= MAX_RAW) this.mode = 'done';
    }
  }

  /** The snippet: decoded, whitespace collapsed, at most `max` characters. */
  snippet(max = 300): string | undefined {
    if (!this.info || this.raw.length === 0) return undefined;
    const body = Buffer.concat(this.raw);
    let bytes: Buffer;
    if (this.info.encoding === 'base64') {
      // Only whole 4-char groups decode cleanly after the byte cap cut the part.
      const b64 = body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
      bytes = Buffer.from(b64.slice(0, b64.length - (b64.length % 4)), 'base64');
    } else if (this.info.encoding === 'quoted-printable') bytes = decodeQp(body);
    else bytes = body;
    return snippetOf(decodeCharset(bytes, this.info.charset), max);
  }
}
