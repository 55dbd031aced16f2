import { readFileSync } from 'node:fs';
import { parseHeaderBlock } from '../../src/sources/mbox/mail-headers.js';
import type { GmailEmulator } from '../emulators/google/gmail/gmail-emulator.js';

/**
 * Put the messages of an mbox into the Gmail emulator as Gmail holds them: the same headers,
 * X-Gmail-Labels as label ids (Sent → SENT, Drafts → DRAFT), X-GM-THRID as the hex thread id.
 */
export function loadMboxIntoGmail(em: GmailEmulator, mboxPath: string): number {
  const text = readFileSync(mboxPath, 'latin1');
  const blocks = text.split(/^From .*$/m).filter((b) => b.trim());
  let n = 0;
  for (const block of blocks.reverse()) {
    const head = block.replace(/^\r?\n/, '').split(/\r?\n\r?\n/)[0]!.split(/\r?\n/);
    const parsed = parseHeaderBlock(head);
    if (!parsed.ok) continue;
    const headers: Record<string, string> = {};
    for (const [k, v] of parsed.headers) if (!k.startsWith('x-')) headers[k.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase())] = v[0]!;
    const labels = (parsed.headers.get('x-gmail-labels')?.[0] ?? '').split(',').map((l) => l.trim()).filter(Boolean);
    const labelIds = labels.map((l) => (l.toLowerCase() === 'drafts' ? 'DRAFT' : l.toUpperCase().replace(/\s+/g, '_')));
    const thrid = parsed.headers.get('x-gm-thrid')?.[0];
    em.add({ headers, labelIds, ...(thrid ? { threadId: BigInt(thrid).toString(16) } : {}) });
    n++;
  }
  return n;
}
