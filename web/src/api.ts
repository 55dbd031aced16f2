/** The JSON API, as the pages use it. Errors carry the server's message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const res = await fetch(path, {
    method: init?.method ?? 'GET',
    headers: init?.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new ApiError(body.error ?? `${res.status} ${res.statusText}`, res.status);
  return body as T;
}

export const CHANNELS = ['email', 'meeting', 'message', 'mention', 'call'] as const;
export type Channel = (typeof CHANNELS)[number];
export type Counts = Record<Channel, number>;

export interface PeopleRow {
  id: string;
  name: string;
  email: string | null;
  counts: Counts;
  total: number;
  strength: number | null;
  lastInteractionAt: number | null;
}
export interface PeoplePage {
  total: number;
  page: number;
  limit: number;
  people: PeopleRow[];
}
export interface Person {
  id: string;
  name: string;
  emails: string[];
  phones: string[];
  company: string | null;
  jobTitle: string | null;
  category: string | null;
  counts: Counts;
  total: number;
  sources: string[];
  firstInteractionAt: number | null;
  lastInteractionAt: number | null;
  strength: number | null;
  mergedInto: string | null;
  entities: { id: string; source: string; externalId: string; emails: string[]; phones: string[]; handles: string[]; names: string[]; pinned: boolean }[];
  relationships: { personId: string; name: string; events: number; threads: number; messages: number; lastSeenAt: number | null }[];
  contacts: { contactId: string; name: string; version: number; lastUpdated: number; lastUpdatedBy: string; deletedAt: number | null }[];
}
export interface TimelineItem {
  id: number;
  sourceType: string;
  externalId: string;
  occurredAt: number;
  title: string;
  snippet: string | null;
  conversationKey: string | null;
  entityRef: string | null;
}
export interface Timeline {
  items: TimelineItem[];
  next: { before: number; before_id: number } | null;
}
export interface Monthly {
  months: string[];
  channels: Partial<Record<Channel, number[]>>;
}
export interface Trail {
  personId: string;
  contacts: {
    contactId: string;
    contact: Record<string, unknown> | null;
    versions: { version: number | null; at: string; by: string; origin: string | null; changed: string[]; seenIn: string; deleted: boolean; heldBy: string[] }[];
    systems: { system: string; role: string; externalId: string | null; lastVersion: number | null; state: string; lastSyncedAt: number | null; pending: { version: number; since: number; attempts: number; lastError: string | null } | null }[];
    conflicts: { id: string; open: boolean; a: string; b: string; reason: string; createdAt: number }[];
  }[];
}
export interface Graph {
  nodes: { id: string; label: string; strength: number | null; total: number }[];
  edges: { source: string; target: string; weight: number; events: number; threads: number; messages: number }[];
  truncated: boolean;
  edgesTotal: number;
}
export interface RunSummary {
  id: string;
  kind: string;
  status: string;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  steps: Record<string, number>;
}
export interface RunStep {
  id: string;
  phase: number;
  dependsOn: string[];
  queue: string;
  status: string;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  records: number;
  attempts: number;
  error: string | null;
  counts: Record<string, number> | null;
}
export interface Run extends RunSummary {
  summary: { people?: number; interactions?: number; relationships?: number } | null;
  steps: never;
}
export interface RunDetail extends Omit<Run, 'steps'> {
  steps: RunStep[];
}
export interface Source {
  id: string;
  lastSuccessAt: number | null;
  ageMs: number | null;
  records: number;
  failureCount: number;
  lastError: string | null;
  lastWarning: string | null;
  skipped: number;
}
export interface ConflictSide {
  system: string;
  version: number | null;
  updatedAt: string;
  fields: Record<string, unknown>;
  deletedAt: string | null;
}
export interface Hub {
  canonical: string;
  systems: { system: string; role: string; last_success: string | null; pending: number; oldest_pending_age_s: number | null; open_conflicts: number; errors: number; last_error: string | null; drift_pct: number | null; drift_measured_at: string | null }[];
  conflicts: { id: string; contactId: string; a: ConflictSide; b: ConflictSide; reason: string; createdAt: number }[];
}
export interface Review {
  id: string;
  entity: string;
  candidates: { id: string; name: string }[];
  reason: string;
  createdAt: number;
}
