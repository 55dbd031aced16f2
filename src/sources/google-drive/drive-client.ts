import { drive_v3 } from '@googleapis/drive';
import type { OAuth2Client } from 'google-auth-library';
import { FatalError, NotFoundError } from '../../errors.js';
import { answerOf, callGoogle, type GoogleCallOptions } from '../../systems/google/google-request.js';
import { googleReason } from '../../systems/google/google-errors.js';
import type { Limiter } from '../../systems/limits/request-limiter.js';
import { type DriveFile, FILE_FIELDS, MIME } from './drive-document.js';

export interface DriveClientOptions {
  /** The API root (`rootUrl`): Google's, a proxy's, or a loopback emulator's. */
  baseUrl: string;
  auth: OAuth2Client;
  limiter: Limiter;
  signal?: AbortSignal;
  onRateLimited?: () => void;
  timeoutMs?: number;
}

/** A folder as the path resolver needs it. */
export interface DriveFolder {
  id: string;
  name: string;
  parents: string[];
}

/** What an export answered: the text, or why the document cannot be exported (skipped, reported). */
export type Exported = { ok: true; text: string } | { ok: false; reason: string } | { ok: false; gone: true };

/**
 * The Drive calls the source makes, each under the shared per-user limit (one request each:
 * an export counts like a listing) and Google's error table. The SDK's own retrying is off:
 * rate limits and 5xx are handled by callGoogle, so a wait is never also an attempt.
 */
export class DriveClient {
  private readonly api: drive_v3.Drive;
  private readonly call: GoogleCallOptions;

  constructor(o: DriveClientOptions) {
    const rootUrl = o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`;
    // The SDK is typed against its own google-auth-library; the client is the same protocol.
    this.api = new drive_v3.Drive({ rootUrl, auth: o.auth as never, retry: false, timeout: o.timeoutMs ?? 60_000 });
    this.call = { api: 'drive', limiter: o.limiter, maxRetries: 5, backoffMs: 250, ...(o.signal ? { signal: o.signal } : {}), ...(o.onRateLimited ? { onRateLimited: o.onRateLimited } : {}) };
  }

  private run<T>(what: string, fn: () => Promise<{ data: T }>): Promise<T> {
    return callGoogle(this.call, what, 1, async () => (await fn()).data);
  }

  async startPageToken(): Promise<string> {
    const r = await this.run('changes.getStartPageToken', () => this.api.changes.getStartPageToken({}));
    if (!r.startPageToken) throw new FatalError('Google changes.getStartPageToken answered without a startPageToken', 'drive_no_start_token');
    return r.startPageToken;
  }

  listFiles(q: string, pageToken: string | undefined, pageSize: number): Promise<drive_v3.Schema$FileList> {
    return this.run('files.list', () =>
      this.api.files.list({ q, pageSize, spaces: 'drive', fields: `nextPageToken, files(${FILE_FIELDS})`, ...(pageToken ? { pageToken } : {}) }),
    );
  }

  /**
   * One page of changes. A page token Drive no longer accepts (400 invalid or 404) is
   * CursorInvalidError's cue: the caller reads the whole Drive again.
   */
  async listChanges(pageToken: string, pageSize: number): Promise<drive_v3.Schema$ChangeList | 'invalid-token'> {
    try {
      return await this.run('changes.list', () =>
        this.api.changes.list({ pageToken, pageSize: Math.min(pageSize, 1000), includeRemoved: true, spaces: 'drive', fields: `nextPageToken, newStartPageToken, changes(fileId, removed, time, file(${FILE_FIELDS}))` }),
      );
    } catch (err) {
      const status = answerOf((err as Error).cause).status;
      if (status === 400 || status === 404) return 'invalid-token';
      throw err;
    }
  }

  /** A folder's name and parents; undefined when it cannot be seen (not shared with the account, deleted). */
  async folder(id: string): Promise<DriveFolder | undefined> {
    try {
      const f = await this.run(`files.get ${id}`, () => this.api.files.get({ fileId: id, fields: 'id, name, parents, mimeType' }));
      return { id: f.id ?? id, name: f.name ?? id, parents: f.parents ?? [] };
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * A file's text: a Doc exported as Markdown (or HTML), a Sheet as CSV (its first sheet), a
   * text file's own bytes. A file deleted meanwhile is `gone`; one Drive will not export
   * (`exportSizeLimitExceeded`: over 10 MB) is skipped with the reason.
   */
  async content(file: DriveFile, docFormat: 'markdown' | 'html'): Promise<Exported> {
    const id = file.id;
    try {
      if (file.mimeType === MIME.doc || file.mimeType === MIME.sheet) {
        const mimeType = file.mimeType === MIME.sheet ? 'text/csv' : docFormat === 'html' ? 'text/html' : 'text/markdown';
        const text = await this.run(`files.export ${id}`, () => this.api.files.export({ fileId: id, mimeType }, { responseType: 'text' }) as Promise<{ data: unknown }>);
        return { ok: true, text: String(text ?? '') };
      }
      const text = await this.run(`files.get ${id} (media)`, () => this.api.files.get({ fileId: id, alt: 'media' }, { responseType: 'text' }) as Promise<{ data: unknown }>);
      return { ok: true, text: String(text ?? '') };
    } catch (err) {
      if (err instanceof NotFoundError) return { ok: false, gone: true };
      const a = answerOf((err as Error).cause);
      const reason = googleReason(a.body);
      if (a.status === 403 && reason === 'exportSizeLimitExceeded') return { ok: false, reason: 'too large for Drive to export (exportSizeLimitExceeded, over 10 MB)' };
      if (a.status === 400 || (a.status === 403 && reason === 'cannotDownloadFile')) return { ok: false, reason: `Drive will not export it (HTTP ${a.status} ${reason})` };
      throw err;
    }
  }
}
