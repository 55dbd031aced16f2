import { randomBytes } from 'node:crypto';
import type { EmulatorClock } from '../emulator-clock.js';
import { type EmulatorFault, FaultList } from '../emulator-faults.js';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ident, parsePrefer, PgrstError, SqlBuilder, statusForSqlState, type TableInfo } from './postgrest-sql.js';
import { DbWebhookSender, OUTBOX, webhookSetupSql, type DbWebhookDelivery } from './supabase-webhooks.js';

/**
 * Loopback Supabase REST API (PostgREST behaviour supabase-js relies on) backed by a real
 * PostgreSQL database: a fresh database per instance with `contacts.sql` applied, requests
 * translated to parameterised SQL, PostgREST's error JSON and status mapping, `apikey` +
 * Bearer auth, Database Webhooks from a row trigger, fault injection and a request log.
 */
export interface SupabaseEmulatorOptions {
  /** Admin connection string of a PostgreSQL server (…/postgres); a database is created per instance. */
  postgresUrl: string;
  key?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  /** Schema to apply instead of src/systems/supabase/contacts.sql. */
  schemaSql?: string;
  /**
   * A clock tests can move: now() and clock_timestamp() in its database then give the clock's
   * time. Without one the database keeps PostgreSQL's own time, and its queries resolve names
   * as PostgreSQL does by default (the override costs every query a longer search path and
   * every timestamp a table read, which a benchmark would count as Kith's).
   */
  clock?: EmulatorClock;
}

export type SupabaseFault = EmulatorFault;

export interface SupabaseLoggedRequest {
  method: string;
  path: string;
  query: string;
  prefer: string;
  status: number;
}

export const CONTACTS_SQL_PATH = fileURLToPath(new URL('../../../src/systems/supabase/contacts.sql', import.meta.url));

export type SupabaseEmulator = Awaited<ReturnType<typeof startSupabaseEmulator>>;

async function loadTables(pool: pg.Pool): Promise<Map<string, TableInfo>> {
  const { rows } = await pool.query<{ table: string; column: string; type: string; pk: boolean }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            COALESCE(a.attnum = ANY(i.indkey), false) AS pk
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
      WHERE c.relkind = 'r' AND c.relname <> $1
      ORDER BY c.relname, a.attnum`,
    [OUTBOX],
  );
  const tables = new Map<string, TableInfo>();
  for (const r of rows) {
    const t: TableInfo = tables.get(r.table) ?? { name: r.table, columns: new Map(), primaryKey: [] };
    t.columns.set(r.column, r.type);
    if (r.pk) t.primaryKey.push(r.column);
    tables.set(r.table, t);
  }
  return tables;
}

/** A function PostgREST would expose at /rest/v1/rpc/<name>: its named arguments and their types. */
interface FunctionInfo {
  name: string;
  args: { name: string; type: string }[];
  /** How many trailing arguments have defaults. */
  defaults: number;
  returnsSet: boolean;
}

async function loadFunctions(pool: pg.Pool): Promise<Map<string, FunctionInfo>> {
  const { rows } = await pool.query<{ name: string; argnames: string[] | null; argtypes: string[]; defaults: number; retset: boolean }>(
    `SELECT p.proname AS name, p.proargnames AS argnames,
            ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) AS t) AS argtypes,
            p.pronargdefaults AS defaults, p.proretset AS retset
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = 'public'
      WHERE p.prokind = 'f' AND p.prorettype <> 'trigger'::regtype`,
  );
  return new Map(rows.map((r) => [r.name, { name: r.name, args: r.argtypes.map((type, i) => ({ name: r.argnames?.[i] ?? '', type })), defaults: r.defaults, returnsSet: r.retset }]));
}

/**
 * POST /rest/v1/rpc/<fn> as PostgREST serves it: the JSON body's keys are the function's named
 * arguments (those with defaults may be left out), the result is the function's value as JSON
 * (an array for a set-returning function). An unknown function or argument set is PGRST202 (404).
 */
async function callFunction(pool: pg.Pool, functions: Map<string, FunctionInfo>, name: string, method: string, rawBody: string): Promise<{ status: number; body: string }> {
  if (method !== 'POST') throw new PgrstError(405, 'PGRST101', 'Only GET or POST requests are allowed for this function');
  let body: unknown;
  try {
    body = rawBody ? JSON.parse(rawBody) : {};
  } catch {
    throw new PgrstError(400, 'PGRST102', 'Empty or invalid json');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new PgrstError(400, 'PGRST102', 'Empty or invalid json');
  const given = Object.keys(body);
  const fn = functions.get(name);
  const required = fn ? fn.args.slice(0, fn.args.length - fn.defaults).map((a) => a.name) : [];
  if (!fn || given.some((k) => !fn.args.some((a) => a.name === k)) || required.some((k) => !given.includes(k))) {
    throw new PgrstError(404, 'PGRST202', `Could not find the function public.${name}(${[...given].sort().join(', ')}) in the schema cache`, `Searched for the function public.${name} with parameters ${[...given].sort().join(', ')} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`);
  }
  const args: unknown[] = [];
  const named = fn.args
    .filter((a) => given.includes(a.name))
    .map((a) => {
      const v = (body as Record<string, unknown>)[a.name];
      args.push(v === null ? null : a.type === 'json' || a.type === 'jsonb' || typeof v === 'object' ? JSON.stringify(v) : v);
      return `${ident(a.name)} => $${args.length}::${a.type}`;
    });
  const call = `public.${ident(fn.name)}(${named.join(', ')})`;
  const sql = fn.returnsSet ? `SELECT coalesce(json_agg(r), '[]'::json)::text AS body FROM ${call} AS r` : `SELECT to_json(${call})::text AS body`;
  const { rows } = await pool.query<{ body: string | null }>(sql, args);
  return { status: 200, body: rows[0]?.body ?? 'null' };
}

/**
 * The database's time is the emulator clock's: real time plus the offset it was moved by. The
 * schema's defaults and triggers call now() and clock_timestamp(), which the database's
 * search_path resolves to these before PostgreSQL's own.
 */
const EMULATOR_CLOCK_SQL = `
  CREATE SCHEMA emulator;
  CREATE TABLE emulator.clock (offset_ms bigint NOT NULL);
  INSERT INTO emulator.clock VALUES (0);
  CREATE FUNCTION emulator.now() RETURNS timestamptz LANGUAGE sql STABLE
    AS $$ SELECT pg_catalog.now() + (SELECT offset_ms FROM emulator.clock) * interval '1 millisecond' $$;
  CREATE FUNCTION emulator.clock_timestamp() RETURNS timestamptz LANGUAGE sql VOLATILE
    AS $$ SELECT pg_catalog.clock_timestamp() + (SELECT offset_ms FROM emulator.clock) * interval '1 millisecond' $$;
`;

export async function startSupabaseEmulator(opts: SupabaseEmulatorOptions) {
  const key = opts.key ?? 'supabase-test-service-key';
  const dbName = `kith_supa_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: opts.postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  // now() and clock_timestamp() resolve to the emulator clock's (schema emulator, ahead of pg_catalog).
  if (opts.clock) await admin.query(`ALTER DATABASE ${dbName} SET search_path = public, emulator, pg_catalog`);
  await admin.end();
  const dbUrl = new URL(opts.postgresUrl);
  dbUrl.pathname = `/${dbName}`;
  const databaseUrl = dbUrl.toString();
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, options: '-c TimeZone=UTC' });
  pool.on('error', () => undefined);
  const clock = opts.clock;
  if (clock) {
    await pool.query(EMULATOR_CLOCK_SQL);
    await pool.query('UPDATE emulator.clock SET offset_ms = $1', [clock.offset]);
    clock.onAdvance(async (offsetMs) => {
      await pool.query('UPDATE emulator.clock SET offset_ms = $1', [offsetMs]);
    });
  }
  await pool.query(opts.schemaSql ?? readFileSync(CONTACTS_SQL_PATH, 'utf8'));
  await pool.query(webhookSetupSql([...(await loadTables(pool)).keys()]));
  const tables = await loadTables(pool);
  const webhooks = new DbWebhookSender(pool, opts.webhookUrl, opts.webhookSecret);
  const listener = new pg.Client({ connectionString: databaseUrl });
  await listener.connect();
  await webhooks.listen(listener);

  const requests: SupabaseLoggedRequest[] = [];
  const functions = await loadFunctions(pool);
  const faults = new FaultList();

  async function run(b: SqlBuilder, inner: string, select: string): Promise<{ rows: unknown[]; text: string }> {
    const sql = `WITH w AS (${inner}) SELECT coalesce(json_agg(r), '[]'::json)::text AS body FROM (SELECT ${select} FROM w AS t) r`;
    const { rows } = await pool.query<{ body: string }>(sql, b.args);
    const text = rows[0]!.body;
    return { rows: JSON.parse(text) as unknown[], text };
  }

  async function handleTable(method: string, table: TableInfo, q: URLSearchParams, headers: IncomingMessage['headers'], rawBody: string) {
    const prefer = parsePrefer(headers.prefer);
    const singular = String(headers.accept ?? '').includes('application/vnd.pgrst.object+json');
    const representation = prefer.get('return') === 'representation';
    const T = ident(table.name);
    const b = new SqlBuilder(table);
    let body: unknown;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'DELETE') {
      try {
        body = rawBody ? JSON.parse(rawBody) : undefined;
      } catch {
        throw new PgrstError(400, 'PGRST102', 'Empty or invalid json');
      }
    }
    const shape = (rows: unknown[], status: number, extra: Record<string, string> = {}) => {
      if (singular) {
        if (rows.length !== 1) throw new PgrstError(406, 'PGRST116', 'JSON object requested, multiple (or no) rows returned', `The result contains ${rows.length} rows`);
        return { status, body: JSON.stringify(rows[0]), headers: extra };
      }
      return { status, body: JSON.stringify(rows), headers: extra };
    };

    if (method === 'GET' || method === 'HEAD') {
      const select = b.select(q.get('select'));
      const inner = `SELECT t.* FROM ${T} AS t WHERE ${b.where(q)}${b.order(q.get('order'))}${b.limitOffset(q)}`;
      const { rows } = await run(b, inner, select);
      let total = '*';
      if (prefer.get('count') === 'exact') {
        const cb = new SqlBuilder(table);
        const { rows: c } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${T} AS t WHERE ${cb.where(q)}`, cb.args);
        total = String(c[0]!.n);
      }
      const offset = Number(q.get('offset') ?? 0);
      const range = rows.length ? `${offset}-${offset + rows.length - 1}/${total}` : `*/${total}`;
      return shape(rows, 200, { 'content-range': range });
    }
    if (method === 'POST') {
      const rows = Array.isArray(body) ? body : [body];
      if (!rows.length || rows.some((r) => !r || typeof r !== 'object' || Array.isArray(r))) throw new PgrstError(400, 'PGRST102', 'Empty or invalid json');
      const listed = q.get('columns');
      const cols = listed ? listed.split(',').map((c) => c.trim().replace(/^"|"$/g, '')) : [...new Set(rows.flatMap((r) => Object.keys(r as object)))];
      for (const c of cols) if (!table.columns.has(c)) throw new PgrstError(400, 'PGRST204', `Could not find the '${c}' column of '${table.name}' in the schema cache`);
      const colList = cols.map(ident).join(', ');
      const resolution = prefer.get('resolution');
      const target = (q.get('on_conflict')?.split(',').map((c) => c.trim()) ?? table.primaryKey).map((c) => ident(c));
      const updates = cols.filter((c) => !target.includes(ident(c))).map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`);
      const conflict =
        resolution === 'merge-duplicates' && updates.length
          ? ` ON CONFLICT (${target.join(', ')}) DO UPDATE SET ${updates.join(', ')}`
          : resolution === 'merge-duplicates' || resolution === 'ignore-duplicates'
            ? ` ON CONFLICT (${target.join(', ')}) DO NOTHING`
            : '';
      const payload = b.param(JSON.stringify(rows), 'json');
      const inner = `INSERT INTO ${T} AS t (${colList}) SELECT ${colList} FROM json_populate_recordset(NULL::${T}, ${payload})${conflict} RETURNING t.*`;
      const { rows: out } = await run(b, inner, b.select(q.get('select')));
      if (!representation) return { status: 201, body: '', headers: { 'content-range': `*/${out.length}` } };
      return shape(out, 201, { 'content-range': `*/${out.length}` });
    }
    if (method === 'PATCH' || method === 'DELETE') {
      let inner: string;
      if (method === 'PATCH') {
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new PgrstError(400, 'PGRST102', 'Empty or invalid json');
        const cols = Object.keys(body);
        if (!cols.length) return { status: 204, body: '', headers: {} };
        for (const c of cols) if (!table.columns.has(c)) throw new PgrstError(400, 'PGRST204', `Could not find the '${c}' column of '${table.name}' in the schema cache`);
        const payload = b.param(JSON.stringify(body), 'json');
        inner = `UPDATE ${T} AS t SET ${cols.map((c) => `${ident(c)} = r.${ident(c)}`).join(', ')} FROM json_populate_record(NULL::${T}, ${payload}) AS r WHERE ${b.where(q)} RETURNING t.*`;
      } else {
        inner = `DELETE FROM ${T} AS t WHERE ${b.where(q)} RETURNING t.*`;
      }
      const { rows: out } = await run(b, inner, b.select(q.get('select')));
      if (!representation) return { status: 204, body: '', headers: { 'content-range': `*/${out.length}` } };
      return shape(out, 200, { 'content-range': `*/${out.length}` });
    }
    throw new PgrstError(405, 'PGRST117', `Unsupported HTTP method: ${method}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const entry: SupabaseLoggedRequest = { method, path: url.pathname, query: url.search, prefer: String(req.headers.prefer ?? ''), status: 0 };
    requests.push(entry);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
      entry.status = status;
      res.writeHead(status, { ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...headers });
      res.end(body);
    };
    const fault = faults.take(method, url.pathname);
    if (fault) {
      if (fault.reset) {
        entry.status = -1;
        req.socket.destroy();
        return;
      }
      return reply(fault.status ?? 500, JSON.stringify(fault.body ?? { code: 'XX000', details: null, hint: null, message: 'Injected fault' }), fault.headers);
    }
    if (!req.headers.apikey) return reply(401, JSON.stringify({ message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' }));
    if (req.headers.apikey !== key) return reply(401, JSON.stringify({ message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' }));
    if (req.headers.authorization !== undefined && req.headers.authorization !== `Bearer ${key}`) {
      return reply(401, JSON.stringify({ code: 'PGRST301', details: null, hint: null, message: 'JWSError JWSInvalidSignature' }));
    }
    const m = /^\/rest\/v1\/([^/]+)$/.exec(url.pathname);
    const rpc = /^\/rest\/v1\/rpc\/([^/]+)$/.exec(url.pathname);
    try {
      if (rpc) {
        const out = await callFunction(pool, functions, decodeURIComponent(rpc[1]!), method, Buffer.concat(chunks).toString('utf8'));
        return reply(out.status, out.body);
      }
      if (!m) throw new PgrstError(404, 'PGRST125', `Invalid path specified in request URL`);
      const table = tables.get(decodeURIComponent(m[1]!));
      if (!table) throw new PgrstError(404, 'PGRST205', `Could not find the table 'public.${m[1]}' in the schema cache`);
      const out = await handleTable(method, table, url.searchParams, req.headers, Buffer.concat(chunks).toString('utf8'));
      reply(out.status, method === 'HEAD' ? '' : out.body, out.headers);
    } catch (err) {
      if (err instanceof PgrstError) return reply(err.status, JSON.stringify(err));
      const e = err as { code?: string; message?: string; detail?: string; hint?: string };
      reply(statusForSqlState(e.code), JSON.stringify({ code: e.code ?? 'XX000', details: e.detail ?? null, hint: e.hint ?? null, message: e.message ?? String(err) }));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500).end(JSON.stringify({ code: 'XX000', details: null, hint: null, message: String(err) }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    key,
    databaseUrl,
    requests,
    get webhookDeliveries(): DbWebhookDelivery[] {
      return webhooks.deliveries;
    },
    setWebhook(url: string | undefined, secret?: string) {
      webhooks.url = url;
      webhooks.secret = secret;
    },
    injectFault(f: SupabaseFault) {
      faults.add(f);
    },
    /** The clock it was given, if any: `await clock.advance(ms)` makes the next change later than the last. */
    clock,
    /** Direct SQL, as a user editing in the Supabase dashboard (fires triggers and webhooks). */
    sql: <R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params: unknown[] = []) => pool.query<R>(text, params).then((r) => r.rows),
    flushWebhooks: () => webhooks.flush(),
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
      await webhooks.flush().catch(() => undefined);
      await webhooks.close();
      await pool.end();
      const a = new pg.Client({ connectionString: opts.postgresUrl });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
