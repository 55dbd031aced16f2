import { once } from 'node:events';
import { EmulatorClock } from '../emulator-clock.js';
import { type EmulatorFault, FaultList } from '../emulator-faults.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FilterError, parseFilter } from './twenty-filter.js';
import { type ChangeEvent, type ListQuery, type ObjectName, sortKey, StoreError, type TwentyRecord, TwentyStore } from './twenty-store.js';
import { type WebhookDelivery, TwentyWebhookSender } from './twenty-webhook-sender.js';

/**
 * Loopback Twenty REST server for tests: /rest/people and /rest/companies (list with filter,
 * order_by, limit, starting_after; one; create 201; batch ≤ 60 (201); PATCH; DELETE with
 * soft_delete; restore), Bearer auth, optional request quota (429 + Retry-After), fault
 * injection, a request log, a store tests can edit as a user would in the UI, and real signed
 * webhooks for every change, including those made through this REST API.
 */
export interface TwentyEmulatorOptions {
  apiKey?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  /** Enforce a quota like Twenty's 100 requests/minute. Off by default. */
  rateLimit?: { limit: number; windowMs: number };
  defaultLimit?: number;
  maxLimit?: number;
  /** What createdAt/updatedAt/deletedAt are stamped with (default: a clock of its own, at real time). */
  clock?: EmulatorClock;
  /** Custom text fields of the workspace's people (a category field, say). */
  customPersonFields?: string[];
}

export type Fault = EmulatorFault;

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  at: number;
}

const OBJECTS: Record<string, { object: ObjectName; one: string; many: string }> = {
  people: { object: 'person', one: 'Person', many: 'People' },
  companies: { object: 'company', one: 'Company', many: 'Companies' },
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type TwentyEmulator = Awaited<ReturnType<typeof startTwentyEmulator>>;

export async function startTwentyEmulator(opts: TwentyEmulatorOptions = {}) {
  const apiKey = opts.apiKey ?? 'twenty-test-key';
  const defaultLimit = opts.defaultLimit ?? 60;
  const maxLimit = opts.maxLimit ?? 200;
  const clock = opts.clock ?? new EmulatorClock();
  const store = new TwentyStore(() => clock.now(), opts.customPersonFields);
  const webhooks = new TwentyWebhookSender(opts.webhookUrl, opts.webhookSecret);
  store.onChange = (e: ChangeEvent) => webhooks.enqueue(e);
  const requests: LoggedRequest[] = [];
  const faults = new FaultList();
  const accepted: number[] = [];
  const stats = { rateLimited: 0 };
  let rateLimit = opts.rateLimit;

  const withCompany = (r: TwentyRecord, depth: number): TwentyRecord => {
    if (depth < 1 || !('companyId' in r)) return r;
    return { ...r, company: r.companyId ? (store.get('company', String(r.companyId), true) ?? null) : null };
  };

  function parseOrderBy(text: string | null): ListQuery['orderBy'] {
    const fields = store.fields('person');
    const out: ListQuery['orderBy'] = [];
    for (const part of (text ?? '').split(',').filter(Boolean)) {
      const m = /^([A-Za-z_][A-Za-z0-9_.]*)(?:\[(AscNullsFirst|AscNullsLast|DescNullsFirst|DescNullsLast)\])?$/.exec(part.trim());
      if (!m || !fields.has(m[1]!.split('.')[0]!)) throw new HttpError(400, `Invalid order_by '${part}'`);
      const dir = m[2] ?? 'AscNullsFirst';
      out.push({ field: m[1]!, asc: dir.startsWith('Asc'), nullsFirst: dir.endsWith('NullsFirst') });
    }
    if (!out.length) out.push({ field: 'position', asc: true, nullsFirst: true });
    if (!out.some((o) => o.field === 'id')) out.push({ field: 'id', asc: true, nullsFirst: true });
    return out;
  }

  const encodeCursor = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString('base64url');
  function decodeCursor(c: string): unknown[] {
    try {
      const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
      if (Array.isArray(v)) return v;
    } catch {
      /* fall through */
    }
    throw new HttpError(400, `Invalid cursor '${c}'`);
  }

  function list(object: ObjectName, names: { many: string }, q: URLSearchParams) {
    const limitText = q.get('limit');
    const limit = limitText === null ? defaultLimit : Number(limitText);
    if (!Number.isInteger(limit) || limit < 0) throw new HttpError(400, `Invalid limit '${limitText}'`);
    const filterText = q.get('filter');
    let filter;
    try {
      filter = filterText ? parseFilter(filterText, store.fields(object)) : undefined;
    } catch (err) {
      if (err instanceof FilterError) throw new HttpError(400, err.message);
      throw err;
    }
    const orderBy = parseOrderBy(q.get('order_by'));
    const after = q.get('starting_after');
    const page = store.list(object, { filter, orderBy, limit: Math.min(limit, maxLimit), startingAfter: after ? decodeCursor(after) : undefined });
    const depth = Number(q.get('depth') ?? 1);
    const first = page.records[0];
    const last = page.records.at(-1);
    return {
      data: { [names.many.charAt(0).toLowerCase() + names.many.slice(1)]: page.records.map((r) => withCompany(r, depth)) },
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: Boolean(after),
        startCursor: first ? encodeCursor(sortKey(first, orderBy)) : null,
        endCursor: last ? encodeCursor(sortKey(last, orderBy)) : null,
      },
      totalCount: page.totalCount,
    };
  }

  /** The metadata API, for the person object only: list objects with their fields, create a custom field. */
  const PERSON_OBJECT_ID = '20202020-0000-4000-8000-00000000face';
  function metadata(method: string, parts: string[], body: unknown): { status: number; body: unknown } {
    const field = (name: string) => ({ id: `field-${name}`, objectMetadataId: PERSON_OBJECT_ID, name, label: name, type: 'TEXT', isCustom: false });
    if (method === 'GET' && parts[0] === 'objects' && !parts[1]) {
      const person = { id: PERSON_OBJECT_ID, nameSingular: 'person', namePlural: 'people', fields: store.personFieldNames().map(field) };
      const company = { id: '20202020-0000-4000-8000-0000000c0a11', nameSingular: 'company', namePlural: 'companies', fields: [] };
      return { status: 200, body: { data: { objects: [person, company] } } };
    }
    if (method === 'POST' && parts[0] === 'fields' && !parts[1]) {
      const b = (body ?? {}) as { objectMetadataId?: unknown; name?: unknown; label?: unknown; type?: unknown };
      if (b.objectMetadataId !== PERSON_OBJECT_ID) throw new HttpError(400, `Object metadata ${String(b.objectMetadataId)} not found`);
      if (typeof b.name !== 'string' || !/^[a-z][A-Za-z0-9]*$/.test(b.name)) throw new HttpError(400, 'name must be in camelCase');
      if (typeof b.label !== 'string' || !b.label) throw new HttpError(400, 'label is required');
      if (b.type !== 'TEXT') throw new HttpError(400, `type ${String(b.type)} is not supported by this emulator`);
      if (store.personFieldNames().includes(b.name)) throw new HttpError(400, `Field name "${b.name}" is not available`);
      store.addPersonField(b.name);
      return { status: 201, body: { data: { createOneField: { ...field(b.name), label: b.label, isCustom: true } } } };
    }
    throw new HttpError(404, `Cannot ${method} /rest/metadata/${parts.join('/')}`);
  }

  function route(method: string, parts: string[], q: URLSearchParams, body: unknown): { status: number; body: unknown } {
    if (parts[0] === 'metadata') return metadata(method, parts.slice(1), body);
    const restore = parts[0] === 'restore';
    const batch = parts[0] === 'batch';
    const rest = restore || batch ? parts.slice(1) : parts;
    const names = OBJECTS[rest[0] ?? ''];
    if (!names) throw new HttpError(404, `Object '${rest[0]}' not found`);
    const { object, one } = names;
    const id = rest[1];
    const depth = Number(q.get('depth') ?? 1);
    const wrap = (key: string, value: unknown, status = 200) => ({ status, body: { data: { [key]: value } } });
    if (batch && method === 'POST' && !id) {
      if (!Array.isArray(body)) throw new HttpError(400, 'Batch body must be an array');
      if (body.length > 60) throw new HttpError(400, `Maximum number of records to upsert is 60, got ${body.length}`);
      return wrap(`create${names.many}`, store.createMany(object, body as Record<string, unknown>[]), 201);
    }
    if (restore && method === 'PATCH' && id) return wrap(`restore${one}`, store.restore(object, id));
    if (restore || batch || rest.length > 2) throw new HttpError(404, `Cannot ${method} /rest/${parts.join('/')}`);
    if (method === 'GET' && !id) return { status: 200, body: list(object, names, q) };
    if (method === 'GET' && id) {
      const r = store.get(object, id);
      if (!r) throw new HttpError(404, `Record ${id} not found`);
      return wrap(object, withCompany(r, depth));
    }
    if (method === 'POST' && !id) return wrap(`create${one}`, store.createMany(object, [body as Record<string, unknown>])[0], 201);
    if (method === 'PATCH' && id) return wrap(`update${one}`, store.update(object, id, (body ?? {}) as Record<string, unknown>));
    if (method === 'DELETE' && id) {
      if (q.get('soft_delete') === 'true') return wrap(`delete${one}`, store.softDelete(object, id));
      return wrap(`destroy${one}`, store.destroy(object, id));
    }
    throw new HttpError(405, `Cannot ${method} /rest/${parts.join('/')}`);
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(text);
  }
  const errorBody = (status: number, message: string) => ({ statusCode: status, error: status === 429 ? 'TooManyRequestsException' : status === 401 ? 'UnauthorizedException' : status === 404 ? 'NotFoundException' : 'BadRequestException', messages: [message] });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const entry: LoggedRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, at: Date.now() };
    requests.push(entry);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const reply = (status: number, body: unknown, headers?: Record<string, string>) => {
      entry.status = status;
      send(res, status, body, headers);
    };

    const fault = faults.take(method, url.pathname);
    if (fault) {
      if (fault.reset) {
        entry.status = -1;
        req.socket.destroy();
        return;
      }
      const status = fault.status ?? 500;
      return reply(status, fault.body ?? errorBody(status, 'Injected fault'), fault.headers);
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) return reply(401, errorBody(401, 'Token invalid.'));
    if (rateLimit) {
      const now = Date.now();
      while (accepted.length && accepted[0]! <= now - rateLimit.windowMs) accepted.shift();
      if (accepted.length >= rateLimit.limit) {
        stats.rateLimited++;
        const wait = Math.max(1, Math.ceil((accepted[0]! + rateLimit.windowMs - now) / 1000));
        return reply(429, errorBody(429, 'Limit reached'), { 'retry-after': String(wait) });
      }
      accepted.push(now);
    }
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'rest') return reply(404, errorBody(404, `Cannot ${method} ${url.pathname}`));
    let body: unknown = undefined;
    if (chunks.length) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, errorBody(400, 'Body is not valid JSON'));
      }
    }
    try {
      const out = route(method, parts.slice(1), url.searchParams, body);
      reply(out.status, out.body);
    } catch (err) {
      if (err instanceof HttpError || err instanceof StoreError) return reply(err.status, errorBody(err.status, err.message));
      reply(500, errorBody(500, (err as Error).message));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, errorBody(500, String(err)));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    store,
    /** Move it forward (`await emu.clock.advance(ms)`) to make the next change later than the last. */
    clock,
    requests,
    stats,
    get webhookDeliveries(): WebhookDelivery[] {
      return webhooks.deliveries;
    },
    webhookSender: webhooks,
    setWebhook(url: string | undefined, secret?: string) {
      webhooks.url = url;
      webhooks.secret = secret;
    },
    setRateLimit(limit: TwentyEmulatorOptions['rateLimit']) {
      rateLimit = limit;
      accepted.length = 0;
    },
    injectFault(f: Fault) {
      faults.add(f);
    },
    people: () => [...store.tables.person.values()].map((r) => structuredClone(r)),
    getPerson: (id: string) => store.get('person', id, true),
    /** A person created in the Twenty UI. */
    createPerson: (input: Record<string, unknown>) => store.createMany('person', [input], 'MANUAL')[0]!,
    /** An edit in the Twenty UI (sends person.updated like any other change). */
    editPerson: (id: string, patch: Record<string, unknown>) => store.update('person', id, patch),
    deletePerson: (id: string) => store.softDelete('person', id),
    flushWebhooks: () => webhooks.flush(),
    async stop() {
      await webhooks.flush();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
