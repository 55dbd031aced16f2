import { APIResponseError, Client, isNotionClientError, RequestTimeoutError } from '@notionhq/client';
import { InvalidInputError, type KithError, RateLimitedError } from '../../errors.js';
import { PAUSE_WAIT_MS } from '../limits/request-limiter.js';
import { NOTION_TIMEOUT_MS } from './notion-limiter.js';
import type { NotionPage, NotionPages, NotionPropertySchema, NotionPropertyType, OpenNotionPagesOptions, PlainValue } from './notion-pages.port.js';
import { notionHttpError, notionNetworkError, type NotionErrorBody } from './notion-errors.js';
import { buildProperties, readPropertyValue } from './property-values.js';

export type { NotionPages } from './notion-pages.port.js';

/** The API version whose data sources this client speaks (the SDK v5 default, pinned). */
export const NOTION_VERSION = '2025-09-03';
/** Notion's largest page of query results. */
export const QUERY_PAGE_SIZE = 100;
/** How many times one call waits out a short Retry-After before handing RateLimitedError to its caller. */
const RATE_LIMIT_TRIES = 3;

type Json = Record<string, unknown>;

/** A response header, from a fetch `Headers` or a plain record (the SDK types them as unknown). */
function header(headers: unknown, name: string): string | undefined {
  if (headers && typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const rec = (headers ?? {}) as Record<string, string>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name);
  return key ? rec[key] : undefined;
}

function toKithError(err: unknown, context: string): KithError {
  if (err instanceof RateLimitedError) return err;
  if (APIResponseError.isAPIResponseError(err) || (isNotionClientError(err) && 'status' in err)) {
    const e = err as APIResponseError;
    let body: NotionErrorBody | undefined;
    try {
      body = JSON.parse(e.body) as NotionErrorBody;
    } catch {
      body = { code: e.code, message: e.message };
    }
    return notionHttpError(e.status, body, context, header(e.headers, 'retry-after'));
  }
  if (RequestTimeoutError.isRequestTimeoutError(err)) return notionNetworkError(Object.assign(err, { code: 'ETIMEDOUT' }), context);
  return notionNetworkError(err, context);
}

/** A page object of the API → plain data; `fullRelation` reads the ids past the first 25 of a relation. */
async function toPage(raw: Json, fullRelation: (pageId: string, propertyId: string) => Promise<string[]>): Promise<NotionPage> {
  const properties: NotionPage['properties'] = {};
  for (const [name, prop] of Object.entries((raw.properties ?? {}) as Record<string, Json>)) {
    const read = readPropertyValue(prop);
    properties[name] = { type: prop.type as NotionPropertyType, value: read.truncated ? await fullRelation(String(raw.id), String(prop.id)) : read.value };
  }
  const parent = (raw.parent ?? {}) as Json;
  return {
    id: String(raw.id),
    dataSourceId: String(parent.data_source_id ?? parent.database_id ?? ''),
    createdTime: String(raw.created_time),
    lastEditedTime: String(raw.last_edited_time),
    inTrash: raw.in_trash === true || raw.archived === true,
    properties,
  };
}

function toSchema(raw: Json): Record<string, NotionPropertySchema> {
  const out: Record<string, NotionPropertySchema> = {};
  for (const [name, p] of Object.entries((raw.properties ?? {}) as Record<string, Json>)) {
    const type = p.type as NotionPropertyType;
    const conf = (p[type] ?? {}) as Json;
    const s: NotionPropertySchema = { id: String(p.id), name, type };
    if (type === 'relation' && conf.data_source_id) s.relation = { dataSourceId: String(conf.data_source_id) };
    if (Array.isArray(conf.options)) s.options = (conf.options as Json[]).map((o) => String(o.name));
    out[name] = s;
  }
  return out;
}

/**
 * Notion's pages through @notionhq/client: every request takes a slot of the limiter first (the
 * deployment's 3 requests a second when it is a SharedRequestLimiter), the SDK's own retry is
 * off so nothing bypasses it, and a 429/529 pauses the limiter for its Retry-After: a short one
 * is waited out here, a longer one reaches the caller as RateLimitedError.
 */
export function openNotionPages(opts: OpenNotionPagesOptions): NotionPages {
  const client = new Client({ auth: opts.token, baseUrl: opts.baseUrl, notionVersion: NOTION_VERSION, retry: false,
    timeoutMs: NOTION_TIMEOUT_MS,
    // The SDK logs every failed request at warn; Kith logs what it does about them instead (a 404 of get() is an answer).
    logger: (level, message, extra) => opts.log?.debug({ sdkLevel: level, ...extra }, `Notion SDK: ${message}`),
  });
  const schemas = new Map<string, Promise<Record<string, NotionPropertySchema>>>();
  /** Which data source a page seen lately belongs to (an update needs its schema); bounded. */
  const parentOf = new Map<string, string>();
  const seen = (p: NotionPage): NotionPage => {
    if (parentOf.size >= 10_000) parentOf.delete(parentOf.keys().next().value!);
    parentOf.set(p.id, p.dataSourceId);
    return p;
  };

  async function dataSourceOf(pageId: string): Promise<string> {
    const known = parentOf.get(pageId);
    if (known) return known;
    const raw = (await call(`read page ${pageId}`, () => client.pages.retrieve({ page_id: pageId }))) as unknown as Json;
    return seen(await toPage(raw, async () => [])).dataSourceId;
  }

  async function call<T>(context: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const release = opts.limiter ? await opts.limiter.acquire() : () => undefined;
      try {
        return await fn();
      } catch (err) {
        const e = toKithError(err, context);
        if (e instanceof RateLimitedError) {
          opts.limiter?.pauseFor(e.retryAfterMs);
          opts.log?.warn({ retryAfterMs: e.retryAfterMs, context }, 'Notion asked Kith to slow down');
          if (attempt < RATE_LIMIT_TRIES && e.retryAfterMs <= PAUSE_WAIT_MS) {
            if (!opts.limiter) await new Promise((r) => setTimeout(r, e.retryAfterMs));
            continue;
          }
        }
        throw e;
      } finally {
        release();
      }
    }
  }

  async function fullRelation(pageId: string, propertyId: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const res = (await call(`read relation ${propertyId} of page ${pageId}`, () =>
        client.pages.properties.retrieve({ page_id: pageId, property_id: propertyId, start_cursor: cursor, page_size: QUERY_PAGE_SIZE }),
      )) as unknown as Json;
      for (const item of (res.results ?? []) as Json[]) ids.push(String((item.relation as Json).id));
      cursor = res.has_more ? (res.next_cursor as string) : undefined;
    } while (cursor);
    return ids;
  }

  const schema = (dataSourceId: string) => {
    let s = schemas.get(dataSourceId);
    if (!s) {
      s = call(`read data source ${dataSourceId}`, () => client.dataSources.retrieve({ data_source_id: dataSourceId })).then((r) => toSchema(r as unknown as Json));
      s.catch(() => schemas.delete(dataSourceId));
      schemas.set(dataSourceId, s);
    }
    return s;
  };

  return {
    schema,
    async *query(dataSourceId, q = {}) {
      let cursor: string | undefined;
      do {
        const res = (await call(`query data source ${dataSourceId}`, () =>
          client.dataSources.query({
            data_source_id: dataSourceId,
            ...(q.editedSince ? { filter: { timestamp: 'last_edited_time', last_edited_time: { on_or_after: q.editedSince } } } : {}),
            sorts: [{ timestamp: 'last_edited_time', direction: 'ascending' }],
            start_cursor: cursor,
            page_size: QUERY_PAGE_SIZE,
          }),
        )) as unknown as Json;
        const pages: NotionPage[] = [];
        for (const r of (res.results ?? []) as Json[]) {
          if (r.object !== 'page' || r.in_trash === true) continue;
          pages.push(seen(await toPage(r, fullRelation)));
        }
        yield pages;
        cursor = res.has_more ? (res.next_cursor as string) : undefined;
      } while (cursor);
    },
    async findByText(dataSourceId, property, value) {
      const s = (await schema(dataSourceId))[property];
      if (!s) throw new InvalidInputError(`Notion property "${property}" does not exist in data source ${dataSourceId}`, 'notion_property_unknown');
      const res = (await call(`find ${property} = ${value} in ${dataSourceId}`, () =>
        client.dataSources.query({ data_source_id: dataSourceId, filter: { property, [s.type]: { equals: value } } as never, page_size: QUERY_PAGE_SIZE }),
      )) as unknown as Json;
      const out: NotionPage[] = [];
      for (const r of (res.results ?? []) as Json[]) if (r.object === 'page') out.push(seen(await toPage(r, fullRelation)));
      return out;
    },
    async get(pageId) {
      try {
        const raw = (await call(`read page ${pageId}`, () => client.pages.retrieve({ page_id: pageId }))) as unknown as Json;
        return seen(await toPage(raw, fullRelation));
      } catch (err) {
        if ((err as KithError).kind === 'not_found') return undefined;
        throw err;
      }
    },
    async create(dataSourceId, values: Record<string, PlainValue>) {
      const properties = buildProperties(await schema(dataSourceId), values);
      const raw = (await call(`create page in ${dataSourceId}`, () =>
        client.pages.create({ parent: { type: 'data_source_id', data_source_id: dataSourceId }, properties: properties as never }),
      )) as unknown as Json;
      return seen(await toPage(raw, fullRelation));
    },
    async update(pageId, values, o = {}) {
      let properties: Record<string, Json> | undefined;
      if (Object.keys(values).length) {
        // The schema is the page's data source's: one read of the page tells which, then it is cached.
        properties = buildProperties(await schema(await dataSourceOf(pageId)), values);
      }
      const raw = (await call(`update page ${pageId}`, () =>
        client.pages.update({ page_id: pageId, ...(properties ? { properties: properties as never } : {}), ...(o.inTrash !== undefined ? { in_trash: o.inTrash } : {}) }),
      )) as unknown as Json;
      return seen(await toPage(raw, fullRelation));
    },
  };

}
