import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadCoreConfig } from '../../config/core.config.js';
import { ConfigError } from '../../config/config-error.js';
import { loadRedisConfig } from '../../config/redis.config.js';
import { CursorInvalidError, FatalError, TemporaryError } from '../../errors.js';
import { createRedis } from '../../redis/connection.js';
import { readSyncState, recordWarning, saveCursor } from '../../sync/sync-state.store.js';
import { googleCredential } from '../../systems/google/google-auth.js';
import { driveLimiterKey } from '../../systems/google/google-quota.js';
import { SharedRequestLimiter } from '../../systems/limits/shared-request-limiter.js';
import { writeAtomically } from '../drive-export/generated-file.js';
import type { ContentSyncContext } from '../source-declaration.js';
import type { SkippedRecord } from '../source-event.js';
import { splitNote } from '../vault/front-matter.js';
import { DriveClient } from './drive-client.js';
import { type DriveCursor, formatDriveCursor, parseDriveCursor } from './drive-cursor.js';
import { bodyOf, type DriveFile, isWanted, listQuery, markdownName, MAX_TEXT_BYTES, MIME, peopleOf, renderDocument } from './drive-document.js';
import { FolderPaths } from './drive-folders.js';
import { removeWritten, scanWritten, type WrittenFile } from './drive-vault-files.js';
import type { GoogleDriveConfig } from './index.js';

/** Longest Retry-After a read sleeps out inside its step (a longer one delays the job). */
const PAUSE_WAIT_MS = 60_000;

export interface DriveSyncResult {
  written: number;
  unchanged: number;
  removed: number;
  skipped: number;
  skippedSample: SkippedRecord[];
  /** How this run read Drive: every file (`full`), or the changes since the stored token. */
  mode: 'full' | 'changes';
  resumedFrom: string | null;
  /** Set when Drive refused the stored page token and the whole Drive was read again: why. */
  cursorInvalid?: string;
  rateLimited: number;
}

const stateKey = (id: string) => `source:${id}`;

/**
 * Phase 5 content sync of one Drive: first run, `changes.getStartPageToken`, then every file
 * listed page by page; later runs, `changes.list` from the stored token. Docs, Sheets and text
 * files go into the vault folder as the Drive export writes them; a trashed or deleted file
 * loses its written file. The cursor moves (in sync_state) only after every file before it is
 * written, so a stopped run resumes there; writes compare a content hash, so reading a file
 * twice rewrites nothing. A page token Drive refuses (400/404) reads the whole Drive again,
 * with a warning kept in sync_state.
 */
export async function syncGoogleDrive(config: GoogleDriveConfig, ctx: ContentSyncContext): Promise<DriveSyncResult> {
  const key = stateKey(config.id);
  const resumedFrom = ctx.full ? null : ((await readSyncState(ctx.db, key))?.cursor ?? null);
  const credential = googleCredential(loadCoreConfig().dataDir);
  const { url, prefix } = loadRedisConfig();
  if (!url) throw new ConfigError('REDIS_URL', 'is not set: the Drive request limit is kept in Redis, shared by every process reading the account');
  const into = resolve(config.into);
  await mkdir(into, { recursive: true });
  const out: DriveSyncResult = { written: 0, unchanged: 0, removed: 0, skipped: 0, skippedSample: [], mode: 'full', resumedFrom, rateLimited: 0 };
  const redis = createRedis(url, { name: `kith:drive-quota:${config.id}` });
  try {
    const limiter = new SharedRequestLimiter({
      limit: config.requests_per_minute,
      windowMs: 60_000,
      service: 'Drive requests',
      redis: () => redis,
      key: driveLimiterKey(prefix, `source:${config.id}`),
      requestTimeoutMs: 60_000,
      pauseWaitMs: PAUSE_WAIT_MS,
      pollMs: 50,
    });
    const client = new DriveClient({ baseUrl: config.base_url, auth: credential.client, limiter, onRateLimited: () => out.rateLimited++, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    // Another source's files in the same folder are left alone, and their names stay taken.
    const scanned = await scanWritten(into);
    const own = new Map(scanned.filter((f) => f.sourceId === config.id).map((f) => [f.fileId, f]));
    const taken = scanned.filter((f) => f.sourceId !== config.id).map((f) => f.rel);
    const sync = new DriveVaultSync(config, ctx, client, into, own, taken, out, key);

    let cursor: DriveCursor | undefined;
    try {
      cursor = resumedFrom ? parseDriveCursor(resumedFrom) : undefined;
    } catch (err) {
      if (!(err instanceof CursorInvalidError)) throw err;
      await sync.cursorRefused(err.message);
    }
    if (cursor?.mode === 'changes') {
      out.mode = 'changes';
      if (await sync.changes(cursor.pageToken)) return out;
      await sync.cursorRefused(`Drive refused the stored page token ${cursor.pageToken} (400/404)`);
      out.mode = 'full';
      cursor = undefined;
    }
    await sync.full(cursor);
    return out;
  } finally {
    await redis.quit().catch(() => undefined);
  }
}

/** One run's work on the vault folder: the files written before, and what this run does to them. */
class DriveVaultSync {
  private readonly byRel = new Map<string, string>();
  private readonly folders: FolderPaths;
  private done = 0;

  constructor(
    private readonly config: GoogleDriveConfig,
    private readonly ctx: ContentSyncContext,
    private readonly client: DriveClient,
    private readonly into: string,
    private readonly written: Map<string, WrittenFile>,
    taken: readonly string[],
    private readonly out: DriveSyncResult,
    private readonly key: string,
  ) {
    for (const rel of taken) this.byRel.set(rel, '');
    for (const [id, w] of written) this.byRel.set(w.rel, id);
    this.folders = new FolderPaths(client);
  }

  async cursorRefused(reason: string): Promise<void> {
    this.out.cursorInvalid = reason;
    this.ctx.log?.warn({ source: this.config.id, type: 'google-drive', reason }, `${this.config.id}: stored cursor is invalid (${reason}); reading the whole Drive again`);
    await recordWarning(this.ctx.db, this.key, `cursor invalid, read again from the beginning: ${reason}`);
  }

  private stopIfAsked(): void {
    if (this.ctx.signal?.aborted) throw new TemporaryError(`${this.config.id}: Drive sync stopped (shutting down); it resumes from the last cursor`, 'aborted');
  }

  private async commit(c: DriveCursor, stage: string): Promise<void> {
    await saveCursor(this.ctx.db, this.key, formatDriveCursor(c));
    this.ctx.progress?.({ stage, done: this.done });
  }

  /** Every wanted file, page by page (from `resume`'s page when a full read was stopped). */
  async full(resume: Extract<DriveCursor, { mode: 'full' }> | undefined): Promise<void> {
    // Taken before listing: whatever changes while Drive is listed is in the changes after it.
    const startPageToken = resume?.startPageToken ?? (await this.client.startPageToken());
    const seen = await this.listing(resume?.pageToken, (next) =>
      this.commit(next ? { v: 1, mode: 'full', startPageToken, pageToken: next } : { v: 1, mode: 'changes', pageToken: startPageToken }, 'full'),
    );
    // A listing read whole: what was written for a file Drive no longer lists is gone there.
    if (resume?.pageToken === undefined) await this.prune(seen);
  }

  /** List every wanted file from `pageToken`, writing each page, then `after` it; the ids seen. */
  private async listing(pageToken: string | undefined, after: (next: string | undefined) => Promise<void>): Promise<Set<string>> {
    const seen = new Set<string>();
    const q = listQuery(this.config.kinds);
    do {
      this.stopIfAsked();
      const page = await this.client.listFiles(q, pageToken, this.config.page_size);
      const files = ((page.files ?? []) as DriveFile[]).filter((f) => !!f.id && !!f.name && !!f.mimeType);
      for (const f of files) seen.add(f.id);
      await this.apply(files.map((file) => ({ fileId: file.id, file })));
      pageToken = page.nextPageToken ?? undefined;
      await after(pageToken);
    } while (pageToken);
    return seen;
  }

  private async prune(seen: ReadonlySet<string>): Promise<void> {
    for (const id of [...this.written.keys()]) if (!seen.has(id)) await this.remove(id);
  }

  /**
   * The changes since `token`, page by page; false when Drive refuses the token. A folder
   * changed (renamed, moved, trashed) says nothing of the files inside it: Drive is listed
   * again before the page's cursor is kept, so their files move (without an export) or go.
   */
  async changes(token: string): Promise<boolean> {
    let pageToken = token;
    for (;;) {
      this.stopIfAsked();
      const page = await this.client.listChanges(pageToken, this.config.page_size);
      if (page === 'invalid-token') return false;
      const items: { fileId: string; file?: DriveFile }[] = [];
      let folderChanged = false;
      for (const c of page.changes ?? []) {
        const fileId = c.fileId ?? c.file?.id;
        if (!fileId) continue;
        const f = c.file;
        if (!c.removed && f?.mimeType === MIME.folder) {
          this.folders.forget(fileId);
          folderChanged = true;
        }
        items.push(!c.removed && f?.id && f.name && f.mimeType ? { fileId, file: f as DriveFile } : { fileId });
      }
      await this.apply(items);
      if (folderChanged) await this.prune(await this.listing(undefined, async () => this.ctx.progress?.({ stage: 'changes', done: this.done })));
      const next = page.nextPageToken ?? undefined;
      const at = next ?? page.newStartPageToken ?? undefined;
      if (!at) throw new FatalError(`Google changes.list answered a last page without newStartPageToken (${this.config.id})`, 'drive_no_start_token');
      await this.commit({ v: 1, mode: 'changes', pageToken: at }, 'changes');
      if (!next) return true;
      pageToken = next;
    }
  }

  /**
   * One page of files: places and names are settled in order (a second document of a name in
   * one folder keeps its id in its name), then the documents are read `concurrency` at a time.
   */
  private async apply(items: { fileId: string; file?: DriveFile }[]): Promise<void> {
    const jobs: { file: DriveFile; rel: string; drivePath: string }[] = [];
    for (const { fileId, file } of items) {
      if (!file || file.trashed || !isWanted(file, this.config.kinds) || file.mimeType === MIME.folder) {
        await this.remove(fileId);
        continue;
      }
      const place = await this.folders.placeOf(file.parents);
      if (this.config.folders && !this.config.folders.some((id) => place.ancestors.has(id))) {
        await this.remove(fileId);
        continue;
      }
      let rel = [...place.segments, markdownName(file)].join('/');
      const holder = this.byRel.get(rel);
      if (holder !== undefined && holder !== file.id) rel = [...place.segments, markdownName(file, true)].join('/');
      this.byRel.set(rel, file.id);
      jobs.push({ file, rel, drivePath: [...place.segments, file.name].join('/') });
    }
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) await this.write(jobs[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.config.concurrency, jobs.length) }, lane));
  }

  private skip(file: DriveFile, reason: string): void {
    this.out.skipped++;
    if (this.out.skippedSample.length < 50) this.out.skippedSample.push({ kind: 'skipped', file: `drive file ${file.id} (${file.name})`, reason });
  }

  private async write({ file, rel, drivePath }: { file: DriveFile; rel: string; drivePath: string }): Promise<void> {
    this.done++;
    const prev = this.written.get(file.id);
    const modifiedTime = file.modifiedTime ?? new Date(0).toISOString();
    // The same revision in the same place: nothing to read.
    if (prev && prev.rel === rel && prev.modified === modifiedTime) {
      this.out.unchanged++;
      return;
    }
    // The same revision in another place (its folder was renamed or moved): the text on disk moves.
    const kept = prev && prev.modified === modifiedTime ? await this.bodyOnDisk(prev.rel) : undefined;
    if (kept !== undefined) return this.put(file, rel, drivePath, modifiedTime, kept);
    if (file.mimeType !== MIME.doc && file.mimeType !== MIME.sheet && Number(file.size ?? 0) > MAX_TEXT_BYTES) return this.skip(file, `larger than ${MAX_TEXT_BYTES} bytes`);
    const got = await this.client.content(file, this.config.doc_format);
    if ('gone' in got) return this.remove(file.id);
    if (!got.ok) return this.skip(file, got.reason);
    let body: string;
    try {
      const text = file.mimeType === MIME.doc && this.config.doc_format === 'html' ? (await import('../drive-export/converters.js')).htmlTextToMarkdown(got.text) : got.text;
      body = bodyOf(file, text);
    } catch (err) {
      return this.skip(file, `cannot convert: ${(err as Error).message.split('\n')[0]}`);
    }
    return this.put(file, rel, drivePath, modifiedTime, body);
  }

  /** The body of a file written earlier (undefined when it is gone or unreadable). */
  private async bodyOnDisk(rel: string): Promise<string | undefined> {
    try {
      const note = splitNote(await readFile(join(this.into, ...rel.split('/')), 'utf8'));
      return note.ok ? note.body : undefined;
    } catch {
      return undefined;
    }
  }

  /** Write one document (unless what it says is what its file says), and drop its file's old place. */
  private async put(file: DriveFile, rel: string, drivePath: string, modifiedTime: string, body: string): Promise<void> {
    const prev = this.written.get(file.id);
    const title = markdownName(file).slice(0, -3);
    const { text, hash } = renderDocument({ sourceId: this.config.id, title, drivePath, fileId: file.id, modifiedTime, people: peopleOf(file, body) }, body);
    if (prev && prev.rel === rel && prev.hash === hash) {
      this.out.unchanged++;
      return;
    }
    await writeAtomically(join(this.into, ...rel.split('/')), text);
    if (prev && prev.rel !== rel) {
      await removeWritten(this.into, prev.rel);
      if (this.byRel.get(prev.rel) === file.id) this.byRel.delete(prev.rel);
    }
    this.written.set(file.id, { rel, sourceId: this.config.id, modified: modifiedTime, hash });
    this.out.written++;
  }

  /** A file trashed, deleted, no longer wanted or moved out of the folders read: its written file goes. */
  private async remove(fileId: string): Promise<void> {
    const prev = this.written.get(fileId);
    if (!prev) return;
    await removeWritten(this.into, prev.rel);
    this.written.delete(fileId);
    if (this.byRel.get(prev.rel) === fileId) this.byRel.delete(prev.rel);
    this.out.removed++;
  }
}
