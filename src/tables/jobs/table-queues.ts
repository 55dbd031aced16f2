import { z } from 'zod';

/** The table sync's queue: scheduled and requested runs, and single-record jobs from webhooks. */
export const TABLES_QUEUE = 'tables-sync';

export const TABLE_QUEUES = [
  {
    name: TABLES_QUEUE,
    group: 'tables' as const,
    description: 'Notion ↔ Supabase tables: runs (schedule, CLI, /api/sync) and single records (webhooks)',
    // One at a time: runs of one table must not interleave, and Notion allows ~3 requests/s anyway.
    concurrency: 1,
    jobOptions: { attempts: 5 },
    lockDurationMs: 10 * 60_000,
  },
];

const name = z.string().regex(/^[a-z][a-z0-9_-]*$/);

export const tablesJobData = z.discriminatedUnion('kind', [
  /** Runs of these tables, in the order given (contacts first is the producer's job). */
  z.object({
    kind: z.literal('run'),
    tables: z.array(name).min(1),
    full: z.boolean().default(false),
    hours: z.number().positive().optional(),
    force: z.boolean().default(false),
  }),
  /** A page a Notion webhook named; its data source says which table. */
  z.object({ kind: z.literal('page'), pageId: z.string().min(1) }),
  /** A row a Supabase Database Webhook named, by its table's Supabase name. */
  z.object({ kind: z.literal('row'), supabaseTable: z.string().min(1), rowId: z.string().min(1) }),
]);

export type TablesJobData = z.infer<typeof tablesJobData>;
