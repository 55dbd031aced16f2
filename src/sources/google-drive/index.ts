import { z } from 'zod';
import { defineSource } from '../source-declaration.js';

/** What a `google-drive` entry reads: Google Docs, Google Sheets, and plain text / Markdown files. */
export const DRIVE_KINDS = ['docs', 'sheets', 'text'] as const;

/** The fields of a `google-drive` entry in kith.config.yaml (besides `type` and `id`). */
export const googleDriveConfig = z.object({
  /** The Drive API root, passed to the SDK as `rootUrl` (a proxy, or a loopback emulator). */
  base_url: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL such as https://www.googleapis.com/')
    .default('https://www.googleapis.com/'),
  /** The vault folder the Markdown goes to (laid out as the Drive export lays it out). */
  into: z.string({ error: 'google-drive needs `into`: the vault folder its Markdown goes to' }).min(1, 'google-drive needs `into`: the vault folder its Markdown goes to'),
  /** Only documents inside these folders (Drive folder ids, at any depth); unset: the whole Drive. */
  folders: z.array(z.string().min(1, 'a folder id must not be empty')).optional(),
  /** Which files: `docs` (Google Docs), `sheets` (Google Sheets, first sheet as CSV), `text` (.txt and .md files). */
  kinds: z.array(z.enum(DRIVE_KINDS, { error: `must be one of ${DRIVE_KINDS.join(', ')}` })).min(1, 'must name at least one kind').default([...DRIVE_KINDS]),
  /** How a Doc is exported: Drive's own Markdown, or HTML converted to Markdown (turndown). */
  doc_format: z.enum(['markdown', 'html'], { error: 'must be markdown or html' }).default('markdown'),
  /** Files per listing page (Drive allows up to 1,000; 100 for changes). */
  page_size: z.number().int('must be a whole number').min(1, 'must be ≥ 1').max(1000, 'must be ≤ 1000').default(100),
  /** Documents exported at once (under the shared limit). */
  concurrency: z.number().int('must be a whole number').min(1, 'must be ≥ 1').max(20, 'must be ≤ 20').default(4),
  /** Drive's per-user limit, requests a minute (12,000; lower it to leave room for other clients). */
  requests_per_minute: z.number().int('must be a whole number').min(1, 'must be ≥ 1').max(12_000, 'must be ≤ 12000').default(12_000),
});

export type GoogleDriveConfig = z.infer<typeof googleDriveConfig> & { id: string };

/**
 * Google Drive through its API (phase 5 content sync): Docs as Markdown, Sheets as a table,
 * written into a vault folder as the Drive export writes them; later runs read Drive's changes.
 */
export const source = defineSource({
  type: 'google-drive',
  kind: 'api',
  role: 'content',
  description: 'Google Drive through the Drive API → vault Markdown (files, then changes)',
  config: googleDriveConfig,
  pathFields: ['into'],
  cursor: 'api-cursor',
  people: 'none',
  interactions: [],
  async sync(entry, ctx) {
    const { syncGoogleDrive } = await import('./google-drive.service.js');
    const config = { ...googleDriveConfig.parse(entry), id: entry.id };
    const r = await syncGoogleDrive(config, ctx);
    return { records: r.written + r.removed, result: { ...r, skippedSample: r.skippedSample.slice(0, 50) } };
  },
});
