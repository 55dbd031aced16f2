import { z } from 'zod';
import { CHAT_SOURCES } from '../domain/people/source-mapping.js';
import { InvalidInputError } from '../errors.js';
import { SEARCH_MODES, type SearchMode } from './search.service.js';

/** A date or time as typed: `YYYY-MM-DD` (midnight UTC) or ISO 8601. */
function time(field: string) {
  return z
    .string()
    .trim()
    .transform((v, ctx) => {
      const ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : Date.parse(v);
      if (Number.isNaN(ms)) {
        ctx.addIssue({ code: 'custom', message: `${field} must be a date (YYYY-MM-DD) or an ISO 8601 time, got '${v}'` });
        return z.NEVER;
      }
      return ms;
    });
}

/** Source types a chunk can have, and the words a user may use for groups of them. */
const SEARCHABLE = ['gmail', 'calendar', 'vault', 'granola', ...CHAT_SOURCES] as const;
const ALIASES: Record<string, readonly string[]> = {
  mail: ['gmail'],
  email: ['gmail'],
  mbox: ['gmail'],
  meetings: ['calendar'],
  ics: ['calendar'],
  notes: ['vault', 'granola'],
  messages: [...CHAT_SOURCES],
  'slack-export': ['slack'],
};

/** `--source` words → source types; an unknown word is an error listing what is accepted. */
export function sourceTypes(words: readonly string[]): string[] {
  const out = new Set<string>();
  for (const w of words.map((x) => x.toLowerCase())) {
    const types = (SEARCHABLE as readonly string[]).includes(w) ? [w] : ALIASES[w];
    if (!types) throw new InvalidInputError(`source: unknown source '${w}'; use ${[...SEARCHABLE, ...Object.keys(ALIASES)].join(', ')}`);
    for (const t of types) out.add(t);
  }
  return [...out];
}

const listOf = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean));

/** The search parameters, as `kith search` options and `GET /api/search` query parameters give them. */
export const searchParamsSchema = z.object({
  q: z.string().optional(),
  person: z.string().trim().min(1, 'person must not be empty').optional(),
  source: listOf.optional(),
  since: time('since').optional(),
  until: time('until').optional(),
  limit: z.coerce.number({ error: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be at least 1').max(1000, 'limit must be at most 1000').default(10),
  mode: z.enum(SEARCH_MODES as [SearchMode, ...SearchMode[]], { error: `mode must be one of ${SEARCH_MODES.join(', ')}` }).default('bm25'),
});

export interface SearchParams {
  query?: string;
  person?: string;
  sources?: string[];
  since?: number;
  until?: number;
  limit: number;
  mode: SearchMode;
}

/** Validate search parameters; a bad one is an InvalidInputError naming it. */
export function parseSearchParams(raw: Record<string, unknown>): SearchParams {
  const r = searchParamsSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join('.') || 'parameters';
    throw new InvalidInputError(issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`);
  }
  const p = r.data;
  if (p.since !== undefined && p.until !== undefined && p.until <= p.since) throw new InvalidInputError('until must be later than since');
  return { query: p.q, person: p.person, sources: p.source ? sourceTypes(p.source) : undefined, since: p.since, until: p.until, limit: p.limit, mode: p.mode };
}
