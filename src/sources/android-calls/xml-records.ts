import { createReadStream } from 'node:fs';
import sax from 'sax';
import { unreadable } from '../common/source-path.js';

/** One child element of the root (`<call/>`, `<sms/>`, `<mms>…</mms>`) with its descendants flattened. */
export interface XmlRecord {
  name: string;
  attrs: Record<string, string>;
  /** 1-based line of the opening tag. */
  line: number;
  /** Descendant elements in document order (`<part>`, `<addr>` of an MMS). */
  children: { name: string; attrs: Record<string, string> }[];
}

const TRAILING_ENTITY = /&(#\d{0,5};?(&#?\d{0,5};?)?)?$/;

export type XmlItem = { kind: 'root'; name: string } | { kind: 'record'; record: XmlRecord } | { kind: 'error'; line: number; message: string };

/**
 * Streams an SMS Backup & Restore XML file as records (children of the root element) with sax:
 * memory stays at one chunk plus one record whatever the size of the backup. An XML error
 * inside a record drops that record (reported with its line); parsing resumes after it, so one
 * broken record does not lose the rest of the file.
 */
export async function* readXmlRecords(file: string): AsyncGenerator<XmlItem> {
  const parser = sax.parser(true, { trim: false, position: true });
  const pending: XmlItem[] = [];
  let depth = 0;
  let current: (XmlRecord & { error?: string }) | undefined;
  let looseError: { position: number; line: number; message: string } | undefined;
  const flushLoose = () => {
    if (looseError) pending.push({ kind: 'error', line: looseError.line, message: looseError.message });
    looseError = undefined;
  };
  parser.onopentag = (tag) => {
    depth += 1;
    const attrs = tag.attributes as Record<string, string>;
    if (depth === 1) {
      flushLoose();
      pending.push({ kind: 'root', name: tag.name });
    } else if (depth === 2) {
      const start = (parser as unknown as { startTagPosition: number }).startTagPosition;
      current = { name: tag.name, attrs, line: parser.line + 1, children: [] };
      // An error raised while this tag's attributes were read belongs to this record.
      if (looseError && looseError.position >= start) current.error = looseError.message;
      else flushLoose();
      looseError = undefined;
    } else current?.children.push({ name: tag.name, attrs });
  };
  parser.onclosetag = () => {
    if (depth === 2 && current) {
      if (current.error) pending.push({ kind: 'error', line: current.line, message: current.error });
      else pending.push({ kind: 'record', record: current });
      current = undefined;
    }
    depth -= 1;
  };
  parser.onerror = (err) => {
    const message = err.message.split('\n')[0] ?? 'XML error';
    if (current) current.error ??= message;
    else if (!looseError) looseError = { position: parser.position, line: parser.line + 1, message };
    parser.error = null as unknown as Error;
    parser.resume();
  };

  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  let carry = '';
  try {
    for await (const chunk of stream) {
      const text = carry + (chunk as string);
      // A surrogate entity pair cut by the chunk boundary waits for the next chunk.
      const tail = TRAILING_ENTITY.exec(text);
      const safe = tail ? tail.index : text.length;
      carry = text.slice(safe);
      parser.write(fixSurrogateEntities(text.slice(0, safe)));
      yield* pending.splice(0);
    }
  } catch (err) {
    throw unreadable(file, err);
  } finally {
    stream.destroy();
  }
  if (carry) parser.write(fixSurrogateEntities(carry));
  parser.close();
  flushLoose();
  yield* pending.splice(0);
}

/**
 * SMS Backup & Restore writes emoji as UTF-16 surrogate pairs of numeric entities
 * (`&#55357;&#56832;`), which XML (and sax in strict mode) rejects; join each pair into one
 * code point and turn a lone surrogate into U+FFFD.
 */
export function fixSurrogateEntities(text: string): string {
  return text
    .replace(/&#(\d{5});&#(\d{5});/g, (all, hi: string, lo: string) => {
      const h = Number(hi);
      const l = Number(lo);
      if (h < 0xd800 || h > 0xdbff || l < 0xdc00 || l > 0xdfff) return all;
      return `&#${(h - 0xd800) * 0x400 + (l - 0xdc00) + 0x10000};`;
    })
    .replace(/&#(\d{5});/g, (all, n: string) => (Number(n) >= 0xd800 && Number(n) <= 0xdfff ? '&#65533;' : all));
}
