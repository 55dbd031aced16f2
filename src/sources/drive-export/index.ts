import { z } from 'zod';
import { defineSource } from '../source-declaration.js';

const config = z.object({
  /** The vault folder the Markdown goes to. */
  into: z.string({ error: 'drive-export needs `into`: the vault folder its Markdown goes to' }).min(1, 'drive-export needs `into`: the vault folder its Markdown goes to'),
});

/** A Google Drive export converted to Markdown notes in a vault folder (phase 5 content sync). */
export const source = defineSource({
  type: 'drive-export',
  kind: 'file',
  role: 'content',
  description: 'Google Drive export → vault Markdown',
  config,
  pathFields: ['into'],
  cursor: 'none',
  people: 'none',
  interactions: [],
  async sync(entry) {
    const { into } = config.parse(entry);
    const { exportDrive } = await import('./drive-export.service.js');
    const r = await exportDrive({ path: entry.path, into });
    return { records: r.written, result: { written: r.written, unchanged: r.unchanged, skipped: r.skipped.length, skippedSample: r.skipped.slice(0, 50) } };
  },
});
