/**
 * Best-effort text from `message.attributedBody`, an NSArchiver "typedstream" blob that newer
 * macOS writes instead of `message.text`. The plain string follows the `NSString` class name
 * as `+ <length> <utf-8 bytes>`, where a length byte of 0x81 / 0x82 announces a 2- / 4-byte
 * little-endian length. Anything unexpected returns undefined: a snippet is optional and a
 * strange blob must never fail an import.
 */
export function textFromAttributedBody(blob: Uint8Array | null | undefined): string | undefined {
  if (!blob || blob.length < 16) return undefined;
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const cls = buf.indexOf('NSString', 0, 'latin1');
  if (cls < 0) return undefined;
  const plus = buf.indexOf(0x2b, cls + 8);
  if (plus < 0 || plus > cls + 16) return undefined;
  let at = plus + 1;
  if (at >= buf.length) return undefined;
  let len = buf[at] as number;
  at += 1;
  if (len === 0x81) {
    if (at + 2 > buf.length) return undefined;
    len = buf.readUInt16LE(at);
    at += 2;
  } else if (len === 0x82) {
    if (at + 4 > buf.length) return undefined;
    len = buf.readUInt32LE(at);
    at += 4;
  }
  if (len === 0 || at + len > buf.length) return undefined;
  const text = buf.toString('utf8', at, at + len);
  return text.includes('\uFFFD') ? undefined : text;
}
