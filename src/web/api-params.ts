import { z } from 'zod';
import { InvalidInputError } from '../errors.js';

/**
 * Query and body schemas of the web view's JSON API. A bad value answers 400 with the
 * parameter's name (`parseParams` turns zod's first issue into "<name>: <message>").
 */
export const CHANNELS = ['email', 'meeting', 'message', 'mention', 'call'] as const;
export type Channel = (typeof CHANNELS)[number];

export const PEOPLE_SORTS = ['strength', 'last', 'total', 'name', ...CHANNELS] as const;
export type PeopleSort = (typeof PEOPLE_SORTS)[number];

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const peopleQuery = z.object({
  q: z.string().max(200).optional(),
  sort: z.enum(PEOPLE_SORTS).default('strength'),
  dir: z.enum(['asc', 'desc']).default('desc'),
  page: int(1, 1_000_000).default(1),
  limit: int(1, 500).default(50),
});
export type PeopleQuery = z.infer<typeof peopleQuery>;

export const personParams = z.object({ id: z.string().min(1).max(200) });

export const timelineQuery = z.object({
  before: int(0, Number.MAX_SAFE_INTEGER).optional(),
  before_id: int(0, Number.MAX_SAFE_INTEGER).optional(),
  limit: int(1, 500).default(50),
});

export const graphQuery = z.object({
  min_strength: z.coerce.number().min(0).max(1_000_000).default(0),
  channel: z.enum(CHANNELS).optional(),
  limit: int(1, 2000).default(200),
});

export const runsQuery = z.object({ limit: int(1, 500).default(30) });

export const reviewAcceptBody = z.object({ keep: z.string().min(1).optional() }).default({});
export const conflictResolveBody = z.object({ take: z.array(z.string().min(1)).min(1) });

export function parseParams<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const name = issue.path.length ? issue.path.join('.') : 'body';
  throw new InvalidInputError(`${name}: ${issue.message}`, name);
}
