import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Database from 'better-sqlite3';
import type { EmulatorClock } from '../emulator-clock.js';
import { BqEngine, BqHttpError, type EngineOptions, type QueryOutcome, type QueryParameter } from './bq-engine.js';

/**
 * A loopback BigQuery REST emulator for adapter tests with the real @google-cloud/bigquery SDK.
 * Serves the paths the SDK calls under `/bigquery/v2/projects/{p}`: datasets get/insert/delete,
 * tables get/insert/delete, tabledata insertAll, jobs.query (`POST /queries`), getQueryResults
 * (`GET /queries/{jobId}`, paged with pageToken/maxResults), jobs.insert/get for query jobs.
 * SQL runs on SQLite (see bq-engine.ts / sql-translate.ts). Point the SDK at it with
 * `new BigQuery({ projectId, apiEndpoint: url, authClient })`.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization?: string;
  remoteAddress?: string;
}

export interface Fault {
  status: number;
  reason: string;
  message?: string;
  /** Only requests whose `METHOD /path` matches (default: any). */
  match?: RegExp;
  /** Apply the request first, then answer with the error (a lost response). */
  afterApply?: boolean;
  /** How many matching requests fail (default 1). */
  times?: number;
}

export interface BigQueryEmulatorOptions extends EngineOptions {
  /** Bearer token required on every request (default: any non-empty bearer token). */
  token?: string;
  /** Rows per result page when the request sets no maxResults (default 10,000). */
  pageRows?: number;
}

export interface BigQueryEmulator {
  url: string;
  projectId: string;
  db: Database.Database;
  engine: BqEngine;
  requests: RecordedRequest[];
  failNext(status: number, reason: string, opts?: Omit<Fault, 'status' | 'reason'>): void;
  /** Rows of one table as SQLite holds them (timestamps in microseconds). */
  tableRows(datasetId: string, tableId: string, projectId?: string): Record<string, unknown>[];
  /** The emulator's time (CURRENT_TIMESTAMP, job times, the streaming buffer's age). */
  clock: EmulatorClock;
  /** Move the emulator clock forward at once (ages the streaming buffer). */
  advance(ms: number): void;
  stop(): Promise<void>;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

interface StoredResult {
  projectId: string;
  outcome: QueryOutcome;
}

const MAX_STORED_RESULTS = 500;

export async function startBigQueryEmulator(opts: BigQueryEmulatorOptions & { projectId?: string } = {}): Promise<BigQueryEmulator> {
  const engine = new BqEngine(opts);
  const projectId = opts.projectId ?? 'kith-test';
  const pageRows = opts.pageRows ?? 10_000;
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const results = new Map<string, StoredResult>();

  const remember = (jobId: string, r: StoredResult) => {
    results.set(jobId, r);
    if (results.size > MAX_STORED_RESULTS) results.delete(results.keys().next().value!);
  };

  const page = (jobId: string, r: StoredResult, startIndex: number, maxResults: number | undefined) => {
    const base = { jobReference: { projectId: r.projectId, jobId, location: 'US' }, jobComplete: true, cacheHit: false, totalBytesProcessed: '0' };
    if (r.outcome.kind === 'dml') {
      const { statement, affected } = r.outcome;
      const count = (s: string) => String(statement === s ? affected : 0);
      const dmlStats = { insertedRowCount: count('insert'), updatedRowCount: count('update'), deletedRowCount: count('delete') };
      return { ...base, numDmlAffectedRows: String(affected), dmlStats, totalRows: '0' };
    }
    const size = Math.max(1, Math.min(maxResults ?? pageRows, pageRows));
    const rows = r.outcome.rows.slice(startIndex, startIndex + size);
    const next = startIndex + rows.length;
    return {
      ...base,
      schema: { fields: r.outcome.fields },
      totalRows: String(r.outcome.rows.length),
      rows,
      ...(next < r.outcome.rows.length ? { pageToken: Buffer.from(`o:${next}`).toString('base64url') } : {}),
    };
  };

  const runQuery = (p: string, body: Record<string, unknown>): StoredResult => {
    const outcome = engine.query(p, body.query as string, body.parameterMode as string | undefined, (body.queryParameters as QueryParameter[] | undefined) ?? []);
    return { projectId: p, outcome };
  };

  const route = (method: string, path: string, qs: URLSearchParams, body: Record<string, unknown>): { status: number; json: unknown } => {
    const m = /^\/bigquery\/v2\/projects\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) throw new BqHttpError(404, 'notFound', `Not found: ${path}`);
    const p = decodeURIComponent(m[1]!);
    const rest = (m[2] ?? '').split('/').filter(Boolean).map(decodeURIComponent);
    const [a, b, c, d, e] = rest;
    if (a === 'datasets' && rest.length === 1 && method === 'POST') return { status: 200, json: engine.createDataset(p, body) };
    if (a === 'datasets' && rest.length === 2 && method === 'GET') return { status: 200, json: engine.getDataset(p, b!) };
    if (a === 'datasets' && rest.length === 2 && method === 'DELETE') {
      engine.getDataset(p, b!);
      throw new BqHttpError(400, 'invalid', 'The emulator does not delete datasets; start a new emulator instead');
    }
    if (a === 'datasets' && c === 'tables' && rest.length === 3 && method === 'POST') return { status: 200, json: engine.createTable(p, b!, body) };
    if (a === 'datasets' && c === 'tables' && rest.length === 4 && method === 'GET') return { status: 200, json: engine.tableResource(p, b!, d!) };
    if (a === 'datasets' && c === 'tables' && e === 'insertAll' && rest.length === 5 && method === 'POST') return { status: 200, json: engine.insertAll(p, b!, d!, body) };
    if (a === 'queries' && rest.length === 1 && method === 'POST') {
      const r = runQuery(p, body);
      const jobId = `job_${randomUUID().replace(/-/g, '')}`;
      remember(jobId, r);
      const maxResults = typeof body.maxResults === 'number' ? body.maxResults : undefined;
      return { status: 200, json: { kind: 'bigquery#queryResponse', ...page(jobId, r, 0, maxResults) } };
    }
    if (a === 'queries' && rest.length === 2 && method === 'GET') {
      const r = results.get(b!);
      if (!r || r.projectId !== p) throw new BqHttpError(404, 'notFound', `Not found: Job ${p}:US.${b}`);
      const token = qs.get('pageToken');
      const decoded = token ? /^o:(\d+)$/.exec(Buffer.from(token, 'base64url').toString()) : undefined;
      if (token && !decoded) throw new BqHttpError(400, 'invalid', `Invalid page token: ${token}`);
      const start = decoded ? Number(decoded[1]) : Number(qs.get('startIndex') ?? 0);
      const max = qs.get('maxResults') ? Number(qs.get('maxResults')) : undefined;
      return { status: 200, json: { kind: 'bigquery#getQueryResultsResponse', ...page(b!, r, start, max) } };
    }
    if (a === 'jobs' && rest.length === 1 && method === 'POST') {
      const cfg = (body.configuration as { query?: Record<string, unknown> } | undefined)?.query;
      if (!cfg) throw new BqHttpError(400, 'invalid', 'The emulator runs query jobs only (configuration.query is required)');
      const jobId = (body.jobReference as { jobId?: string } | undefined)?.jobId ?? `job_${randomUUID().replace(/-/g, '')}`;
      remember(jobId, runQuery(p, cfg));
      return { status: 200, json: jobResource(p, jobId, body, engine.now()) };
    }
    if (a === 'jobs' && rest.length === 2 && method === 'GET') {
      const r = results.get(b!);
      if (!r || r.projectId !== p) throw new BqHttpError(404, 'notFound', `Not found: Job ${p}:US.${b}`);
      return { status: 200, json: jobResource(p, b!, {}, engine.now()) };
    }
    throw new BqHttpError(404, 'notFound', `Not found: ${method} ${path}`);
  };

  const takeFault = (method: string, path: string): Fault | undefined => {
    const idx = faults.findIndex((f) => !f.match || f.match.test(`${method} ${path}`));
    if (idx < 0) return undefined;
    const f = faults[idx]!;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) faults.splice(idx, 1);
    return f;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> = {};
    const send = (status: number, json: unknown) => {
      const payload = JSON.stringify(json);
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    };
    const sendError = (err: BqHttpError) =>
      send(err.status, { error: { code: err.status, message: err.message, errors: [{ message: err.message, domain: 'global', reason: err.reason }], status: STATUS_TEXT[err.status] ?? 'UNKNOWN' } });
    try {
      if (text) body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      sendError(new BqHttpError(400, 'parseError', 'Parse Error'));
      return;
    }
    requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: text ? body : undefined, authorization: req.headers.authorization, remoteAddress: req.socket.remoteAddress });
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!bearer || (opts.token !== undefined && bearer !== opts.token)) {
      sendError(new BqHttpError(401, bearer ? 'authError' : 'required', bearer ? 'Request had invalid authentication credentials.' : 'Request is missing required authentication credential.'));
      return;
    }
    const fault = takeFault(method, url.pathname);
    if (fault && !fault.afterApply) {
      sendError(new BqHttpError(fault.status, fault.reason, fault.message ?? `Injected ${fault.reason}`));
      return;
    }
    try {
      const out = route(method, url.pathname, url.searchParams, body);
      if (fault) sendError(new BqHttpError(fault.status, fault.reason, fault.message ?? `Injected ${fault.reason}`));
      else send(out.status, out.json);
    } catch (err) {
      if (err instanceof BqHttpError) sendError(err);
      else sendError(new BqHttpError(500, 'internalError', `Emulator failure: ${(err as Error).message}`));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    projectId,
    db: engine.db,
    engine,
    requests,
    failNext(status, reason, o = {}) {
      faults.push({ status, reason, ...o });
    },
    tableRows(datasetId, tableId, p = projectId) {
      engine.getTable(p, datasetId, tableId);
      return engine.db.prepare(`SELECT * FROM "${p}.${datasetId}.${tableId}" ORDER BY rowid`).all() as Record<string, unknown>[];
    },
    clock: engine.clock,
    advance: (ms) => engine.advance(ms),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      engine.close();
    },
  };
}

function jobResource(projectId: string, jobId: string, body: Record<string, unknown>, now: number) {
  return {
    kind: 'bigquery#job',
    id: `${projectId}:US.${jobId}`,
    jobReference: { projectId, jobId, location: 'US' },
    configuration: body.configuration ?? { query: {} },
    status: { state: 'DONE' },
    statistics: { creationTime: String(now), startTime: String(now), endTime: String(now) },
  };
}
