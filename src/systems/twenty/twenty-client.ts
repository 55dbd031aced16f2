import { Pool } from 'undici';
import { z } from 'zod';
import { FatalError, NotFoundError, RateLimitedError } from '../../errors.js';
import { type Limiter, RequestLimiter, type RequestLimiterOptions } from '../limits/request-limiter.js';
import { twentyHttpError, twentyNetworkError } from './twenty-errors.js';
import { type TwentyCompany, type TwentyPerson, type TwentyPersonInput, twentyCompany, twentyPerson } from './twenty-person.js';

/** Twenty accepts at most 60 records per batch call. */
export const TWENTY_BATCH_LIMIT = 60;
/** Largest page Kith asks for: the smallest maximum any Twenty version documents. */
export const TWENTY_PAGE_LIMIT = 60;

export interface TwentyClientOptions {
  apiUrl: string;
  apiKey: string;
  rateLimit?: RequestLimiterOptions;
  /** The limiter to spend (the deployment's, in Redis); default: one of this client's own, from `rateLimit`. */
  limiter?: Limiter;
  timeoutMs?: number;
  connections?: number;
}

export interface ListParams {
  filter?: string;
  orderBy?: string;
  limit?: number;
  startingAfter?: string;
  /** 1 embeds related records (the company) in each person. */
  depth?: 0 | 1;
}

export interface PersonPage {
  people: TwentyPerson[];
  hasNextPage: boolean;
  endCursor: string | undefined;
  totalCount: number | undefined;
}

const pageInfo = z.looseObject({ hasNextPage: z.boolean().optional(), endCursor: z.string().nullable().optional() }).optional();
const listPeopleBody = z.object({ data: z.object({ people: z.array(twentyPerson) }), pageInfo, totalCount: z.number().optional() });
const listCompaniesBody = z.object({ data: z.object({ companies: z.array(twentyCompany) }) });
const metadataObjectsBody = z.object({
  data: z.object({ objects: z.array(z.looseObject({ id: z.string(), nameSingular: z.string(), fields: z.array(z.looseObject({ name: z.string() })).nullable().optional() })) }),
});

function parseBody<T>(schema: z.ZodType<T>, body: unknown, context: string): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new FatalError(`Twenty ${context}: unexpected response at ${issue.path.join('.') || 'body'}: ${issue.message}`, 'twenty_bad_response');
}

/** The first value inside `{data: {<anyKey>: value}}`: write answers name their key per operation. */
function dataValue(body: unknown, context: string): unknown {
  const data = (body as { data?: Record<string, unknown> } | undefined)?.data;
  const first = data && typeof data === 'object' ? Object.values(data)[0] : undefined;
  if (first === undefined) throw new FatalError(`Twenty ${context}: response has no data`, 'twenty_bad_response');
  return first;
}

/**
 * Thin typed client over undici for Twenty's REST API. Every call goes through one shared
 * limiter (documented quota 100 requests/minute); HTTP failures become typed errors through
 * the error table; nothing is retried here: the job that called decides.
 */
export class TwentyClient {
  private readonly pool: Pool;
  private readonly prefix: string;
  readonly limiter: Limiter;
  /** Requests sent by this client (for tests and metrics). */
  requestCount = 0;

  constructor(private readonly opts: TwentyClientOptions) {
    const url = new URL(opts.apiUrl);
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, { connections: opts.connections ?? 16 });
    this.limiter = opts.limiter ?? new RequestLimiter({ service: 'Twenty requests', ...(opts.rateLimit ?? { limit: 100, windowMs: 60_000 }) });
  }

  async listPeople(p: ListParams): Promise<PersonPage> {
    const query: Record<string, string> = {};
    if (p.filter) query.filter = p.filter;
    if (p.orderBy) query.order_by = p.orderBy;
    if (p.limit !== undefined) query.limit = String(Math.min(p.limit, TWENTY_PAGE_LIMIT));
    if (p.startingAfter) query.starting_after = p.startingAfter;
    if (p.depth !== undefined) query.depth = String(p.depth);
    const body = parseBody(listPeopleBody, await this.call('GET', '/rest/people', 'list people', { query }), 'list people');
    return {
      people: body.data.people,
      hasNextPage: body.pageInfo?.hasNextPage ?? false,
      endCursor: body.pageInfo?.endCursor ?? undefined,
      totalCount: body.totalCount,
    };
  }

  /** One live person; undefined when absent or soft-deleted (Twenty answers 404 for both). */
  async getPerson(id: string, depth: 0 | 1 = 1): Promise<TwentyPerson | undefined> {
    try {
      const body = await this.call('GET', `/rest/people/${encodeURIComponent(id)}`, `get person ${id}`, { query: { depth: String(depth) } });
      return parseBody(twentyPerson, dataValue(body, `get person ${id}`), `get person ${id}`);
    } catch (err) {
      if ((err as { kind?: string }).kind === 'not_found') return undefined;
      throw err;
    }
  }

  async createPeople(inputs: readonly TwentyPersonInput[]): Promise<TwentyPerson[]> {
    const out: TwentyPerson[] = [];
    for (let i = 0; i < inputs.length; i += TWENTY_BATCH_LIMIT) {
      const chunk = inputs.slice(i, i + TWENTY_BATCH_LIMIT);
      const body = await this.call('POST', '/rest/batch/people', 'batch create people', { body: chunk });
      out.push(...parseBody(z.array(twentyPerson), dataValue(body, 'batch create people'), 'batch create people'));
    }
    return out;
  }

  async createPerson(input: TwentyPersonInput): Promise<TwentyPerson> {
    const body = await this.call('POST', '/rest/people', 'create person', { body: input });
    return parseBody(twentyPerson, dataValue(body, 'create person'), 'create person');
  }

  async updatePerson(id: string, patch: Partial<TwentyPersonInput>): Promise<TwentyPerson> {
    const body = await this.call('PATCH', `/rest/people/${encodeURIComponent(id)}`, `update person ${id}`, { body: patch });
    return parseBody(twentyPerson, dataValue(body, `update person ${id}`), `update person ${id}`);
  }

  /** Soft delete only: Kith never destroys a Twenty record. */
  async softDeletePerson(id: string): Promise<void> {
    await this.call('DELETE', `/rest/people/${encodeURIComponent(id)}`, `delete person ${id}`, { query: { soft_delete: 'true' } });
  }

  async restorePerson(id: string): Promise<void> {
    await this.call('PATCH', `/rest/restore/people/${encodeURIComponent(id)}`, `restore person ${id}`, { body: {} });
  }

  async findCompanyByName(name: string): Promise<TwentyCompany | undefined> {
    const query = { filter: `name[eq]:${JSON.stringify(name)}`, limit: '1' };
    const body = parseBody(listCompaniesBody, await this.call('GET', '/rest/companies', 'find company', { query }), 'find company');
    return body.data.companies[0];
  }

  async getCompany(id: string): Promise<TwentyCompany | undefined> {
    try {
      const body = await this.call('GET', `/rest/companies/${encodeURIComponent(id)}`, `get company ${id}`, {});
      return parseBody(twentyCompany, dataValue(body, `get company ${id}`), `get company ${id}`);
    } catch (err) {
      if ((err as { kind?: string }).kind === 'not_found') return undefined;
      throw err;
    }
  }

  async createCompany(name: string): Promise<TwentyCompany> {
    const body = await this.call('POST', '/rest/companies', 'create company', { body: { name } });
    return parseBody(twentyCompany, dataValue(body, 'create company'), 'create company');
  }

  /** The person object of the workspace's data model: its metadata id and its fields' API names (GET /rest/metadata/objects). */
  async personObject(): Promise<{ id: string; fields: string[] }> {
    const body = parseBody(metadataObjectsBody, await this.call('GET', '/rest/metadata/objects', 'read the data model', {}), 'read the data model');
    const person = body.data.objects.find((o) => o.nameSingular === 'person');
    if (!person) throw new NotFoundError('Twenty data model: no person object', 'twenty_no_person_object');
    return { id: person.id, fields: (person.fields ?? []).map((f) => f.name) };
  }

  /** A custom text field on people (POST /rest/metadata/fields). */
  async createPersonTextField(objectMetadataId: string, name: string, label: string, description: string): Promise<void> {
    await this.call('POST', '/rest/metadata/fields', `create field ${name}`, { body: { objectMetadataId, type: 'TEXT', name, label, description } });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async call(method: string, path: string, context: string, o: { query?: Record<string, string>; body?: unknown }): Promise<unknown> {
    const qs = o.query && Object.keys(o.query).length ? `?${new URLSearchParams(o.query).toString()}` : '';
    const release = await this.limiter.acquire();
    try {
      this.requestCount++;
      let res;
      try {
        res = await this.pool.request({
          method: method as 'GET',
          path: `${this.prefix}${path}${qs}`,
          headers: {
            authorization: `Bearer ${this.opts.apiKey}`,
            accept: 'application/json',
            ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
          headersTimeout: this.opts.timeoutMs ?? 30_000,
          bodyTimeout: this.opts.timeoutMs ?? 30_000,
        });
      } catch (err) {
        throw twentyNetworkError(err, context);
      }
      let text: string;
      try {
        text = await res.body.text();
      } catch (err) {
        throw twentyNetworkError(err, context);
      }
      let parsed: unknown = undefined;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      if (res.statusCode >= 400) {
        const err = twentyHttpError(res.statusCode, parsed, context, {
          retryAfter: res.headers['retry-after'],
          defaultRetryAfterMs: this.limiter.options.windowMs,
        });
        if (err instanceof RateLimitedError) this.limiter.pauseFor(err.retryAfterMs);
        throw err;
      }
      return parsed;
    } finally {
      release();
    }
  }
}
