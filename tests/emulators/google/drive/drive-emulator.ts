import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EmulatorFault, FaultList } from '../../emulator-faults.js';

/**
 * Loopback Drive API v3 for tests, driven through the real SDK with `rootUrl`: files.list (the
 * `trashed` and `mimeType` terms of `q`, paging), files.get (metadata, `alt=media` for text
 * files, `root`), files.export (Docs as text/markdown or text/html, Sheets as text/csv;
 * exportSizeLimitExceeded over the limit), changes.getStartPageToken and changes.list (the
 * latest change per file, paging, `newStartPageToken` on the last page, removed and trashed
 * files), a page token it no longer accepts (400 invalid, or 404), Bearer tokens with scopes
 * (401, 403 insufficientPermissions), an optional per-user request limit a minute (403
 * userRateLimitExceeded), and injected faults (429 with Retry-After, 5xx bursts).
 */
export const DRIVE_READONLY = 'https://www.googleapis.com/auth/drive.readonly';
const DOC = 'application/vnd.google-apps.document';
const SHEET = 'application/vnd.google-apps.spreadsheet';
const FOLDER = 'application/vnd.google-apps.folder';
const ROOT = '0AROOTfolder';

interface User {
  displayName: string;
  emailAddress: string;
}

export interface EmulatedFile {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  modifiedTime: string;
  trashed: boolean;
  owners: User[];
  lastModifyingUser?: User;
  permissions: { type: 'user'; role: 'owner' | 'writer' | 'reader'; emailAddress: string; displayName: string }[];
  /** A Doc's Markdown, a Sheet's CSV, a text file's bytes. */
  content: string;
  /** A Doc's HTML export (default: the Markdown in a <p>). */
  html?: string;
  /** Bytes Drive counts for the export limit (default: the content's length). */
  exportBytes?: number;
}

interface Change {
  seq: number;
  fileId: string;
  removed: boolean;
  time: string;
}

export interface NewFile {
  name: string;
  kind: 'doc' | 'sheet' | 'text' | 'markdown' | 'folder' | 'pdf';
  content?: string;
  parent?: string;
  owner?: User;
  editors?: User[];
  html?: string;
  exportBytes?: number;
}

const MIME_OF = { doc: DOC, sheet: SHEET, text: 'text/plain', markdown: 'text/markdown', folder: FOLDER, pdf: 'application/pdf' } as const;
const EXPORT_LIMIT = 10 * 1024 * 1024;

export type DriveEmulator = Awaited<ReturnType<typeof startDriveEmulator>>;

export async function startDriveEmulator(opts: { requestsPerMinute?: number; me?: User } = {}) {
  const me = opts.me ?? { displayName: 'Me', emailAddress: 'me@example.com' };
  const tokens = new Map<string, string[]>([['drive-test-token', [DRIVE_READONLY]]]);
  const files = new Map<string, EmulatedFile>();
  const changes: Change[] = [];
  let seq = 100;
  let oldestToken = 0;
  let expiredStatus: 400 | 404 = 400;
  let nextId = 1;
  let minute = Date.UTC(2026, 1, 2, 9, 0, 0);
  const faults = new FaultList();
  const stats = { requests: {} as Record<string, number>, rateLimited: 0, exports: [] as string[] };
  const sent: number[] = [];

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const googleError = (res: ServerResponse, code: number, reason: string, message: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}) =>
    json(res, code, { error: { code, message, errors: [{ message, domain: code === 403 && /Limit/.test(reason) ? 'usageLimits' : 'global', reason, ...extra }] } }, headers);

  const tick = () => new Date((minute += 60_000)).toISOString();
  const record = (fileId: string, removed = false) => changes.push({ seq: ++seq, fileId, removed, time: tick() });
  /** Trashed itself, or inside a trashed folder (Drive trashes a folder's contents with it). */
  const isTrashed = (f: EmulatedFile, depth = 0): boolean => {
    if (f.trashed) return true;
    const parent = f.parents[0] ? files.get(f.parents[0]) : undefined;
    return !!parent && depth < 64 && isTrashed(parent, depth + 1);
  };
  const view = (f: EmulatedFile) => {
    const { content: _c, html: _h, exportBytes: _e, ...meta } = f;
    return { kind: 'drive#file', ...meta, trashed: isTrashed(f), explicitlyTrashed: f.trashed, ...(f.mimeType.startsWith('text/') ? { size: String(Buffer.byteLength(f.content)) } : {}) };
  };
  /** The latest change of each file after `from`, in order. */
  const changesFrom = (from: number) => {
    const after = changes.filter((c) => c.seq >= from);
    return after.filter((c, i) => !after.slice(i + 1).some((d) => d.fileId === c.fileId));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/drive\/v3\/(files|changes)(?:\/([^/]+))?(?:\/(export))?$/.exec(url.pathname);
    if (!m) return googleError(res, 404, 'notFound', `no such path ${url.pathname}`);
    const fault = faults.take(req.method ?? 'GET', url.pathname);
    if (fault?.reset) return void req.socket.destroy();
    if (fault) return json(res, fault.status ?? 500, fault.body ?? { error: { code: fault.status ?? 500, message: 'Backend Error', errors: [{ reason: 'backendError' }] } }, fault.headers);
    const auth = req.headers.authorization ?? '';
    const scopes = tokens.get(auth.replace(/^Bearer /, ''));
    if (!auth.startsWith('Bearer ') || !scopes) return googleError(res, 401, 'authError', 'Request had invalid authentication credentials.', { location: 'Authorization' }, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' });
    if (!scopes.includes(DRIVE_READONLY) && !scopes.includes('https://www.googleapis.com/auth/drive')) return googleError(res, 403, 'insufficientPermissions', 'Request had insufficient authentication scopes.');
    const method = m[1] === 'changes' ? (m[2] === 'startPageToken' ? 'changes.getStartPageToken' : 'changes.list') : m[3] ? 'files.export' : m[2] ? 'files.get' : 'files.list';
    const now = performance.now();
    while (sent.length && sent[0]! <= now - 60_000) sent.shift();
    if (opts.requestsPerMinute !== undefined && sent.length >= opts.requestsPerMinute) {
      stats.rateLimited++;
      return googleError(res, 403, 'userRateLimitExceeded', 'User rate limit exceeded.', {}, { 'retry-after': '1' });
    }
    sent.push(now);
    stats.requests[method] = (stats.requests[method] ?? 0) + 1;
    const q = url.searchParams;
    const size = (dflt: number, max: number) => Math.min(max, Math.max(1, Number(q.get('pageSize') ?? dflt)));

    if (method === 'changes.getStartPageToken') return json(res, 200, { kind: 'drive#startPageToken', startPageToken: String(seq + 1) });
    if (method === 'changes.list') {
      const raw = q.get('pageToken') ?? '';
      const from = Number(raw);
      if (!/^\d+$/.test(raw) || from > seq + 1) return googleError(res, 400, 'invalid', 'Invalid Value', { location: 'pageToken', locationType: 'parameter' });
      if (from < oldestToken) return expiredStatus === 404 ? googleError(res, 404, 'notFound', `Page token not found: ${raw}`) : googleError(res, 400, 'invalid', 'Invalid Value', { location: 'pageToken', locationType: 'parameter' });
      const all = changesFrom(from).filter((c) => q.get('includeRemoved') !== 'false' || !c.removed);
      const page = all.slice(0, size(100, 1000));
      const more = all.length > page.length;
      return json(res, 200, {
        kind: 'drive#changeList',
        changes: page.map((c) => {
          const f = files.get(c.fileId);
          return { kind: 'drive#change', changeType: 'file', fileId: c.fileId, time: c.time, removed: c.removed || !f, ...(f && !c.removed ? { file: view(f) } : {}) };
        }),
        ...(more ? { nextPageToken: String(all[page.length]!.seq) } : { newStartPageToken: String(seq + 1) }),
      });
    }
    if (method === 'files.list') {
      const query = q.get('q') ?? '';
      const mimes = [...query.matchAll(/mimeType\s*=\s*'([^']+)'/g)].map((x) => x[1]!);
      const trashed = /trashed\s*=\s*false/.test(query) ? false : undefined;
      const all = [...files.values()].filter((f) => (trashed === undefined || isTrashed(f) === trashed) && (!mimes.length || mimes.includes(f.mimeType)));
      const offset = Number(q.get('pageToken') ?? 0);
      const n = size(100, 1000);
      const page = all.slice(offset, offset + n);
      return json(res, 200, { kind: 'drive#fileList', files: page.map(view), ...(offset + n < all.length ? { nextPageToken: String(offset + n) } : {}), incompleteSearch: false });
    }
    const id = m[2] === 'root' ? ROOT : m[2]!;
    const f = files.get(id);
    if (!f) return googleError(res, 404, 'notFound', `File not found: ${m[2]}.`, { location: 'fileId', locationType: 'parameter' });
    if (method === 'files.get') {
      if (q.get('alt') !== 'media') return json(res, 200, view(f));
      if (f.mimeType.startsWith('application/vnd.google-apps.')) return googleError(res, 403, 'fileNotDownloadable', 'Only files with binary content can be downloaded. Use Export with Docs Editors files.');
      res.writeHead(200, { 'content-type': `${f.mimeType}; charset=UTF-8` });
      return void res.end(f.content);
    }
    const type = q.get('mimeType') ?? '';
    const formats: Record<string, string[]> = { [DOC]: ['text/markdown', 'text/html', 'text/plain'], [SHEET]: ['text/csv'] };
    if (!formats[f.mimeType]?.includes(type)) return googleError(res, 400, 'badRequest', 'Export only supports Docs Editors files.');
    if ((f.exportBytes ?? Buffer.byteLength(f.content)) > EXPORT_LIMIT) return googleError(res, 403, 'exportSizeLimitExceeded', 'This file is too large to be exported.');
    stats.exports.push(f.id);
    res.writeHead(200, { 'content-type': `${type}; charset=UTF-8` });
    res.end(type === 'text/html' ? (f.html ?? `<html><body><p>${f.content}</p></body></html>`) : f.content);
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: Error) => googleError(res, 500, 'backendError', err.message));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  files.set(ROOT, { id: ROOT, name: 'My Drive', mimeType: FOLDER, parents: [], modifiedTime: tick(), trashed: false, owners: [me], permissions: [], content: '' });

  const get = (id: string) => {
    const f = files.get(id);
    if (!f) throw new Error(`no file ${id}`);
    return f;
  };

  return {
    url: `http://127.0.0.1:${port}/`,
    token: 'drive-test-token',
    rootId: ROOT,
    stats,
    files,
    /** Create a file (a change); its id is returned. */
    add(n: NewFile): string {
      const id = `f${String(nextId++).padStart(4, '0')}${'x'.repeat(12)}`;
      const owner = n.owner ?? me;
      files.set(id, {
        id,
        name: n.name,
        mimeType: MIME_OF[n.kind],
        parents: [n.parent ?? ROOT],
        modifiedTime: tick(),
        trashed: false,
        owners: [owner],
        lastModifyingUser: owner,
        permissions: [{ type: 'user', role: 'owner', emailAddress: owner.emailAddress, displayName: owner.displayName }, ...(n.editors ?? []).map((e) => ({ type: 'user' as const, role: 'writer' as const, ...e }))],
        content: n.content ?? '',
        ...(n.html !== undefined ? { html: n.html } : {}),
        ...(n.exportBytes !== undefined ? { exportBytes: n.exportBytes } : {}),
      });
      record(id);
      return id;
    },
    /** Edit a file's content, name or folder (a change with a new modifiedTime). */
    edit(id: string, patch: { content?: string; name?: string; parent?: string }): void {
      const f = get(id);
      if (patch.content !== undefined) f.content = patch.content;
      if (patch.name !== undefined) f.name = patch.name;
      if (patch.parent !== undefined) f.parents = [patch.parent];
      record(id);
      f.modifiedTime = changes[changes.length - 1]!.time;
    },
    /** Save a file again without changing it (a change with a new modifiedTime). */
    touch(id: string): void {
      record(id);
      get(id).modifiedTime = changes[changes.length - 1]!.time;
    },
    trash(id: string): void {
      get(id).trashed = true;
      record(id);
    },
    /** Delete for good: the change says `removed`. */
    remove(id: string): void {
      get(id);
      files.delete(id);
      record(id, true);
    },
    /** Forget changes up to now: an older page token answers 400 invalid (or 404). */
    expireChanges(status: 400 | 404 = 400): void {
      oldestToken = seq + 1;
      expiredStatus = status;
    },
    setToken(token: string, scopes: string[]): void {
      tokens.set(token, scopes);
    },
    revoke(token: string): void {
      tokens.delete(token);
    },
    fault(f: EmulatorFault): void {
      faults.add(f);
    },
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
