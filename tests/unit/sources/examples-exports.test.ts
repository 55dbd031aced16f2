import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadParser } from '../../../src/sources/registry.js';
import type { SourceEvent } from '../../../src/sources/source-event.js';
import type { SourceType } from '../../../src/sources/registry.js';

const EX = join(import.meta.dirname, '../../../examples/exports');

async function tally(type: SourceType, path: string): Promise<Record<string, number>> {
  const parser = await loadParser(type);
  const n: Record<string, number> = {};
  for await (const e of parser.parse({ path }) as AsyncIterable<SourceEvent>) n[e.kind] = (n[e.kind] ?? 0) + 1;
  return n;
}

// The sample data documented in examples/exports/README.md: the end-to-end counts rest on these.
describe('sample exports', () => {
  it.each([
    ['mbox', 'mbox/All mail Including Spam and Trash.mbox', { interaction: 5, skipped: 1, cursor: 1 }],
    ['ics', 'ics/me@example.com.ics', { interaction: 7 }],
    ['vcard', 'vcard/contacts.vcf', { contact: 8 }],
    ['google-contacts-csv', 'google-contacts-csv/contacts.csv', { contact: 6 }],
    ['linkedin', 'linkedin/Basic_LinkedInDataExport', { contact: 7, interaction: 3 }],
    ['whatsapp', 'whatsapp/WhatsApp Chat with Zoë Müller.txt', { interaction: 5, cursor: 1 }],
    ['whatsapp', 'whatsapp/WhatsApp Chat with Book Club.txt', { interaction: 7, cursor: 1 }],
  ] as const)('%s %s parses to the documented counts', async (type, file, expected) => {
    expect(await tally(type, join(EX, file))).toEqual(expected);
  });
});
