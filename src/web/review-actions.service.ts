import type { Db } from '../db/db.js';
import { inList } from '../db/sql-lists.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { resolveStoredConflict } from '../hub/services/conflict-resolution.service.js';
import { getConflict } from '../hub/stores/sync-conflicts.store.js';
import { mergePeopleIn, type MergeResult } from '../people/merge.service.js';
import { resolveLivePeople } from '../people/sql-support.js';
import { LocalCanonicalStore } from '../systems/local/local-canonical.store.js';

/**
 * The Sync page's two actions. Accepting a review merges its candidates as `kith people merge`
 * does (same service, same audit row, undone by `kith people unmerge`) and closes the review in
 * the same transaction; resolving a conflict is `kith contacts resolve`. Both are idempotent:
 * a repeated request finds the work done and says so instead of doing it twice.
 */
export interface ReviewView {
  id: string;
  entity: string;
  candidates: { id: string; name: string; mergedInto: string | null }[];
  reason: string;
  createdAt: number;
}

/** Open reviews with their candidates' names (only those people are read, however many there are). */
export async function openReviews(db: Db, limit = 200): Promise<ReviewView[]> {
  const rows = await db.all<{ id: string; source: string; external_id: string; candidates: string; reason: string; created_at: number }>(
    "SELECT id, source, external_id, candidates, reason, created_at FROM link_reviews WHERE status = 'open' ORDER BY created_at, id LIMIT ?",
    [limit],
  );
  const ids = [...new Set(rows.flatMap((r) => JSON.parse(r.candidates) as string[]))];
  const l = inList(db, 'id', ids);
  const people = ids.length ? await db.all<{ id: string; canonical_name: string; merged_into: string | null }>(`SELECT id, canonical_name, merged_into FROM people WHERE ${l.sql}`, l.params) : [];
  const byId = new Map(people.map((p) => [p.id, p]));
  return rows.map((r) => ({
    id: r.id,
    entity: `${r.source}:${r.external_id}`,
    candidates: (JSON.parse(r.candidates) as string[]).map((id) => ({ id, name: byId.get(id)?.canonical_name ?? '', mergedInto: byId.get(id)?.merged_into ?? null })),
    reason: r.reason,
    createdAt: Number(r.created_at),
  }));
}

export interface AcceptResult {
  reviewId: string;
  status: 'accepted';
  alreadyAccepted: boolean;
  keep: string;
  merge: MergeResult | null;
}

export function acceptReview(db: Db, reviewId: string, keepGiven?: string): Promise<AcceptResult> {
  return db.tx(async (q) => {
    const row = await q.get<{ status: string; candidates: string }>('SELECT status, candidates FROM link_reviews WHERE id = ?', [reviewId]);
    if (!row) throw new NotFoundError(`review ${reviewId} not found`);
    const candidates = JSON.parse(row.candidates) as string[];
    if (keepGiven !== undefined && !candidates.includes(keepGiven)) throw new InvalidInputError(`keep: ${keepGiven} is not a candidate of review ${reviewId}`, 'keep');
    const live = await resolveLivePeople(q, candidates);
    const keep = live.get(keepGiven ?? candidates.find((c) => live.has(c)) ?? '') ?? '';
    if (row.status === 'accepted') return { reviewId, status: 'accepted', alreadyAccepted: true, keep, merge: null };
    if (row.status !== 'open') throw new InvalidInputError(`review ${reviewId} is ${row.status}, not open`, 'id');
    if (!keep) throw new NotFoundError(`review ${reviewId}: none of its people exist any more`);
    const others = [...new Set(candidates.map((c) => live.get(c)).filter((id): id is string => !!id && id !== keep))];
    // Candidates merged since the review was opened need no merge: the review is simply settled.
    const merge = others.length ? await mergePeopleIn(q, keep, others) : null;
    await q.run("UPDATE link_reviews SET status = 'accepted' WHERE id = ? AND status = 'open'", [reviewId]);
    return { reviewId, status: 'accepted', alreadyAccepted: false, keep, merge };
  });
}

export async function resolveConflict(db: Db, conflictId: string, take: readonly string[]) {
  const existing = await getConflict(db, conflictId);
  if (!existing) throw new NotFoundError(`no conflict with id ${conflictId}`);
  if (existing.resolvedAt != null) return { conflictId, alreadyResolved: true, resolution: existing.resolution, contactId: existing.contactId };
  const r = await resolveStoredConflict(db, new LocalCanonicalStore(db), conflictId, take);
  return { conflictId, alreadyResolved: false, action: r.outcome.action, contactId: r.contact.contact_id, version: r.contact.sync_metadata.version };
}
