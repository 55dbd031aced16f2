import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmulatorClock } from '../emulator-clock.js';
import { type EmulatorFault, FaultList } from '../emulator-faults.js';
import { compileFilter, compileSorts } from './notion-query.js';
import { type Author, type DataSource, NotFound, NotionStore, type PropertyInput, type StoredPage } from './notion-store.js';
import { ValidationError } from './notion-values.js';
import { type NotionWebhookDelivery, NotionWebhookSender } from './notion-webhook-sender.js';

/**
 * Loopback Notion API (version 2025-09-03) for tests, driven through @notionhq/client with
 * `baseUrl`: GET /v1/data_sources/:id, POST /v1/data_sources/:id/query (timestamp and property
 * filters, sorts, start_cursor, page_size ≤ 100, trashed pages left out), POST /v1/pages,
 * GET /v1/pages/:id, PATCH /v1/pages/:id (properties, in_trash), GET
 * /v1/pages/:id/properties/:property_id (a relation's ids past the 25 a page object lists).
 * Bearer auth, Notion-Version required, Notion's error bodies, an enforced request rate (429 +
 * Retry-After; default 3 a second, as Notion averages), fault injection, helpers that edit pages
 * as a user in Notion would, and signed webhooks for every change (the API's own writes too).
 */
export interface NotionEmulatorOptions {
  token?: string;
  /** Requests a second before 429 (Notion averages 3); `false` = unlimited. */
  rateLimit?: number | false;
  clock?: EmulatorClock;
  /** Round created_time / last_edited_time down to the minute, as Notion does (default true). */
  minutePrecision?: boolean;
  webhookUrl?: string;
  /** The subscription's verification token: signs every event (default: a random one). */
  verificationToken?: string;
}

export interface NotionLoggedRequest {
  method: string;
  path: string;
  status: number;
  at: number;
  /** When the answer was sent (ms since the epoch, real time). */
  answeredAt?: number;
}

const USER: Author = { id: randomUUID(), type: 'person' };
const BOT: Author = { id: randomUUID(), type: 'bot' };
const RELATION_SHOWN = 25;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

export type NotionEmulator = Awaited<ReturnType<typeof startNotionEmulator>>;

export async function startNotionEmulator(opts: NotionEmulatorOptions = {}) {
  const token = opts.token ?? 'secret_notion-test-token';
  const clock = opts.clock ?? new EmulatorClock();
  const store = new NotionStore(() => clock.now(), opts.minutePrecision ?? true);
  const webhooks = new NotionWebhookSender(opts.webhookUrl, opts.verificationToken ?? `secret_${randomUUID().replace(/-/g, '')}`);
  store.onChange = (e) => webhooks.enqueue(e);
  const faults = new FaultList();
  const requests: NotionLoggedRequest[] = [];
  const accepted: number[] = [];
  const stats = { rateLimited: 0, accepted: 0 };
  let rateLimit = opts.rateLimit ?? 3;

  function renderValue(page: StoredPage, ds: DataSource, name: string): Json {
    const def = ds.properties.get(name)!;
    const base = { id: def.id, type: def.type };
    switch (def.type) {
      case 'created_time':
        return { ...base, created_time: store.shownTime(page.createdAt) };
      case 'last_edited_time':
        return { ...base, last_edited_time: store.shownTime(page.editedAt) };
      case 'created_by':
        return { ...base, created_by: { object: 'user', id: page.createdBy } };
      case 'last_edited_by':
        return { ...base, last_edited_by: { object: 'user', id: page.editedBy } };
      case 'relation': {
        const all = page.values.get(name) as Json[];
        return { ...base, relation: all.slice(0, RELATION_SHOWN), has_more: all.length > RELATION_SHOWN };
      }
      default:
        return { ...base, [def.type]: structuredClone(page.values.get(name)) };
    }
  }

  function renderPage(page: StoredPage): Json {
    const ds = store.dataSource(page.dataSourceId);
    return {
      object: 'page',
      id: page.id,
      created_time: store.shownTime(page.createdAt),
      last_edited_time: store.shownTime(page.editedAt),
      created_by: { object: 'user', id: page.createdBy },
      last_edited_by: { object: 'user', id: page.editedBy },
      cover: null,
      icon: null,
      parent: { type: 'data_source_id', data_source_id: ds.id, database_id: ds.databaseId },
      archived: page.inTrash,
      in_trash: page.inTrash,
      is_locked: false,
      properties: Object.fromEntries([...ds.properties.keys()].map((n) => [n, renderValue(page, ds, n)])),
      url: `https://www.notion.so/${page.id.replace(/-/g, '')}`,
      public_url: null,
    };
  }

  function renderDataSource(ds: DataSource): Json {
    const properties: Json = {};
    for (const d of ds.properties.values()) {
      const conf: Json = d.options ? { options: d.options.map((o) => ({ ...o })) } : d.relation ? { ...d.relation, type: 'single_property', single_property: {} } : {};
      properties[d.name] = { id: d.id, name: d.name, type: d.type, description: null, [d.type]: conf };
    }
    return {
      object: 'data_source',
      id: ds.id,
      created_time: store.shownTime(ds.createdAt),
      last_edited_time: store.shownTime(ds.createdAt),
      title: [{ type: 'text', text: { content: ds.title, link: null }, plain_text: ds.title, href: null }],
      parent: { type: 'database_id', database_id: ds.databaseId },
      database_parent: { type: 'workspace', workspace: true },
      archived: false,
      in_trash: false,
      properties,
    };
  }

  function query(ds: DataSource, body: Json): Json {
    const size = body.page_size === undefined ? 100 : Number(body.page_size);
    if (!Number.isInteger(size) || size < 1 || size > 100) throw new ValidationError(`body failed validation: body.page_size should be ≤ \`100\`, instead was \`${JSON.stringify(body.page_size)}\`.`);
    const filter = compileFilter(ds, body.filter as Json | undefined, { shown: (ms) => store.shownTime(ms) });
    const all = [...store.pages.values()].filter((p) => p.dataSourceId === ds.id && !p.inTrash && filter(p)).sort(compileSorts(ds, body.sorts));
    let from = 0;
    if (body.start_cursor !== undefined && body.start_cursor !== null) {
      from = all.findIndex((p) => p.id === body.start_cursor);
      if (from < 0) throw new ValidationError(`The start_cursor provided is invalid: ${String(body.start_cursor)}`);
    }
    const results = all.slice(from, from + size);
    const next = all[from + size];
    return { object: 'list', results: results.map(renderPage), next_cursor: next?.id ?? null, has_more: Boolean(next), type: 'page_or_data_source', page_or_data_source: {} };
  }

  function propertyItem(page: StoredPage, propertyId: string, q: URLSearchParams): Json {
    const ds = store.dataSource(page.dataSourceId);
    const def = [...ds.properties.values()].find((d) => d.id === decodeURIComponent(propertyId));
    if (!def) throw new HttpError(404, 'object_not_found', `Could not find property with ID: ${propertyId}.`);
    if (def.type !== 'relation') return { object: 'property_item', ...renderValue(page, ds, def.name) };
    const all = page.values.get(def.name) as Json[];
    const size = Math.min(100, Number(q.get('page_size') ?? 100));
    const cursor = q.get('start_cursor');
    const from = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0;
    const slice = all.slice(from, from + size);
    const more = from + size < all.length;
    return {
      object: 'list',
      results: slice.map((r) => ({ object: 'property_item', id: def.id, type: 'relation', relation: { id: r.id } })),
      next_cursor: more ? Buffer.from(String(from + size)).toString('base64url') : null,
      has_more: more,
      type: 'property_item',
      property_item: { id: def.id, next_url: null, type: 'relation', relation: {} },
    };
  }

  function route(method: string, parts: string[], q: URLSearchParams, body: Json): Json {
    const [kind, id, sub, subId] = parts;
    if (kind === 'data_sources' && id && !sub && method === 'GET') return renderDataSource(store.dataSource(id));
    if (kind === 'data_sources' && id && sub === 'query' && method === 'POST') return query(store.dataSource(id), body);
    if (kind === 'pages' && !id && method === 'POST') {
      const parent = (body.parent ?? {}) as Json;
      const dsId = parent.data_source_id ?? (parent.database_id ? [...store.dataSources.values()].find((d) => d.databaseId === parent.database_id)?.id : undefined);
      if (typeof dsId !== 'string') throw new ValidationError('body failed validation: body.parent.data_source_id should be defined, instead was `undefined`.');
      return renderPage(store.create(dsId, (body.properties ?? {}) as Json, BOT));
    }
    if (kind === 'pages' && id && !sub && method === 'GET') return renderPage(store.page(id));
    if (kind === 'pages' && id && !sub && method === 'PATCH') {
      if (body.archived !== undefined) throw new ValidationError('body failed validation: body.archived is not supported in this API version, use body.in_trash.');
      if (body.in_trash !== undefined && typeof body.in_trash !== 'boolean') throw new ValidationError('body failed validation: body.in_trash should be a boolean.');
      return renderPage(store.update(id, body.properties as Json | undefined, body.in_trash as boolean | undefined, BOT));
    }
    if (kind === 'pages' && id && sub === 'properties' && subId && method === 'GET') return propertyItem(store.page(id), subId, q);
    throw new HttpError(400, 'invalid_request_url', 'Invalid request URL.');
  }

  const errorBody = (status: number, code: string, message: string) => ({ object: 'error', status, code, message, request_id: randomUUID() });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const entry: NotionLoggedRequest = { method, path: url.pathname, status: 0, at: Date.now() };
    requests.push(entry);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      entry.answeredAt = Date.now();
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    const fault = faults.take(method, url.pathname);
    if (fault) {
      if (fault.reset) {
        entry.status = -1;
        req.socket.destroy();
        return;
      }
      const status = fault.status ?? 500;
      const code = status === 429 ? 'rate_limited' : status === 529 ? 'service_overload' : status === 503 ? 'service_unavailable' : status === 409 ? 'conflict_error' : 'internal_server_error';
      return reply(status, fault.body ?? errorBody(status, code, 'Injected fault'), fault.headers);
    }
    if (req.headers.authorization !== `Bearer ${token}`) return reply(401, errorBody(401, 'unauthorized', 'API token is invalid.'));
    if (!req.headers['notion-version']) {
      return reply(400, errorBody(400, 'missing_version', 'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.'));
    }
    if (rateLimit !== false) {
      const now = Date.now();
      while (accepted.length && accepted[0]! <= now - 1000) accepted.shift();
      if (accepted.length >= rateLimit) {
        stats.rateLimited++;
        return reply(429, errorBody(429, 'rate_limited', 'You have been rate limited. Please try again in a few minutes.'), { 'retry-after': '1' });
      }
      accepted.push(now);
    }
    stats.accepted++;
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'v1') return reply(400, errorBody(400, 'invalid_request_url', 'Invalid request URL.'));
    let body: Json = {};
    if (chunks.length) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
      } catch {
        return reply(400, errorBody(400, 'invalid_json', 'Error parsing JSON body.'));
      }
    }
    try {
      reply(200, route(method, parts.slice(1), url.searchParams, body));
    } catch (err) {
      if (err instanceof ValidationError) return reply(400, errorBody(400, 'validation_error', err.message));
      if (err instanceof NotFound) return reply(404, errorBody(404, 'object_not_found', err.message));
      if (err instanceof HttpError) return reply(err.status, errorBody(err.status, err.code, err.message));
      reply(500, errorBody(500, 'internal_server_error', (err as Error).message));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(errorBody(500, 'internal_server_error', String(err))));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  /** A user's edit in Notion: plain property payloads, as the API takes them. */
  const asUser = { author: USER };

  return {
    /** The SDK's `baseUrl`. */
    url: `http://127.0.0.1:${port}`,
    token,
    store,
    clock,
    requests,
    stats,
    /** The author id of changes made through the API (Kith's integration). */
    botId: BOT.id,
    get verificationToken() {
      return webhooks.verificationToken;
    },
    get webhookDeliveries(): NotionWebhookDelivery[] {
      return webhooks.deliveries;
    },
    /** Point the subscription at a URL; `verify` sends the one-time verification request first. */
    async setWebhook(url: string | undefined, o: { verificationToken?: string; verify?: boolean } = {}) {
      webhooks.url = url;
      if (o.verificationToken) webhooks.verificationToken = o.verificationToken;
      if (o.verify && url) await webhooks.sendVerification();
    },
    flushWebhooks: () => webhooks.flush(),
    setRateLimit(perSecond: number | false) {
      rateLimit = perSecond;
      accepted.length = 0;
    },
    injectFault(f: EmulatorFault) {
      faults.add(f);
    },
    createDataSource: (title: string, props: Record<string, PropertyInput>, id?: string) => store.createDataSource(title, props, id).id,
    /** The page object as GET /v1/pages/:id answers it. */
    page: (id: string) => renderPage(store.page(id)),
    pagesIn: (dataSourceId: string) => [...store.pages.values()].filter((p) => p.dataSourceId === dataSourceId).map(renderPage),
    /** A page a user creates in Notion (`properties` as the API takes them). */
    createPage: (dataSourceId: string, properties: Json) => store.create(dataSourceId, properties, asUser.author).id,
    /** A user's edit in Notion: last_edited_time moves to the clock's now. */
    editPage: (id: string, properties: Json) => renderPage(store.update(id, properties, undefined, asUser.author)),
    trashPage: (id: string) => renderPage(store.update(id, undefined, true, asUser.author)),
    restorePage: (id: string) => renderPage(store.update(id, undefined, false, asUser.author)),
    async stop() {
      await webhooks.flush();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
