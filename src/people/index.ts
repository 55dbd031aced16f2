/**
 * People, interactions and counts that cannot diverge, plus relationships and
 * strengths. What the sync pipeline calls:
 *
 *   interactionsFromEvent(event, self, region?)        pure; the interaction rules → [{participant, row}]
 *   resolveParticipants(q, source, refs, self)          → (personId | null)[]; null = self. `source` is the
 *                                                         rows' InteractionSourceType or the export type that
 *                                                         produced them (mbox, ics, …: interactionTypesOfSource)
 *   upsertContactPerson(q, contactEvent, self)          → personId | null; contacts create/enrich, no interactions
 *   ingestInteractions(db, rows, {mode, maintainCounts}) / ingestInteractionsIn(q, …)
 *                                                       → {inserted, duplicates, rejected, affectedPeople}
 *   deleteInteractions(db, {ids} | {source, externalIdPrefix, before, personId}) / deleteInteractionsIn
 *   linkEntities(db, self)                              phase 2 → {relinked, reviews, tombstoned}
 *   discoverRelationships(db, {maxParticipants})        phase 3a → {relationships}
 *   computeStrengths(db, now)                           phase 3b → {updated}
 *   verifyStats(db, {fix})                              phase 4 → {checkedPeople, discrepancies, fixed}
 *   mergePeople(db, keep, others) / unmerge(db, auditId) / splitPerson(db, person, entityIds, {name})
 *   refreshPeopleStats(db, personIds)                   targeted repair
 * Functions taking a Queryable run inside the caller's `db.tx`; those taking a Db open their own.
 * Every write that changes interactions or who they belong to updates the cached counts in the
 * same transaction: by delta on ingest, by re-aggregating only the affected people elsewhere.
 */
import type { CountryCode } from 'libphonenumber-js';
import { peopleConfig } from '../config/people.config.js';
import type { SelfIdentity } from '../domain/people/identity.js';
import { interactionsFromEvent as rules, type PlannedInteraction } from '../domain/people/interaction-rules.js';
import type { InteractionEvent } from '../sources/source-event.js';

export type { SelfIdentity } from '../domain/people/identity.js';
export type { InteractionInput, RowProblem } from '../domain/people/interaction.js';
export type { PlannedInteraction } from '../domain/people/interaction-rules.js';
export { deleteInteractions, deleteInteractionsIn, type DeleteSelector } from './delete.service.js';
export { IngestRejectedError, ingestInteractions, ingestInteractionsIn, type IngestOptions, type IngestResult } from './ingest.service.js';
export { linkEntities, relinkEntityIn } from './link.service.js';
export { mergePeople, unmerge } from './merge.service.js';
export { getPerson, listPeople, listReviews } from './people-query.service.js';
export { discoverRelationships } from './relationships.service.js';
export { resolveParticipants, upsertContactPerson } from './resolve.service.js';
export { splitPerson } from './split.service.js';
export { refreshPeopleStats, refreshPeopleStatsIn, verifyStats } from './stats.service.js';
export { computeStrengths } from './strengths.service.js';

/** The interaction rules with the configured phone region (KITH_PHONE_REGION). */
export function interactionsFromEvent(event: InteractionEvent, self: SelfIdentity, region: CountryCode = peopleConfig().phoneRegion): PlannedInteraction[] {
  return rules(event, self, region);
}
