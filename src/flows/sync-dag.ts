import { PIPELINE_QUEUE, sourceQueue } from '../queues/pipeline-queues.js';
import type { DagStep } from '../sync/dag-step.js';
import type { ConfiguredSource } from '../sync/kith-config.js';

/** The unified sync (seed 000) as data: the steps (`DagStep`) built from the configured sources. */
export type { DagStep, FailurePolicy } from '../sync/dag-step.js';
export { PIPELINE_QUEUE, sourceQueue };

/** Sources that are address books: they create and enrich people, no interactions. */
export const CONTACT_SOURCES: ReadonlySet<string> = new Set(['vcard', 'google-contacts-csv', 'linkedin']);

/**
 * Phase 1: one collection step per configured source, address books first (a failed source is
 * recorded, later steps use the data that exists); 2: entity linking; 3: relationship discovery, then strengths;
 * 4: verification of counts; 5: content sync, in parallel with phase 4.
 */
export function buildSyncDag(sources: readonly ConfiguredSource[]): DagStep[] {
  const collect = sources.filter((s) => s.type !== 'drive-export');
  const content = sources.filter((s) => s.type === 'drive-export');
  // Within phase 1, address books go first (seed 003: "contacts first, meetings link to
  // contacts"): a card that ties an email to a phone then links mail and calls to one person
  // instead of leaving two people and an ambiguity to review.
  const cards = collect.filter((s) => CONTACT_SOURCES.has(s.type)).map((s) => `collect:${s.id}`);
  const steps: DagStep[] = collect.map((s) => ({
    id: `collect:${s.id}`,
    phase: 1,
    dependsOn: CONTACT_SOURCES.has(s.type) ? [] : cards,
    queue: sourceQueue(s.type),
    failurePolicy: 'continue',
    params: { sourceId: s.id },
  }));
  steps.push(
    { id: 'link-entities', phase: 2, dependsOn: steps.map((s) => s.id), queue: PIPELINE_QUEUE.link, failurePolicy: 'fail-run', params: {} },
    { id: 'relationships', phase: 3, dependsOn: ['link-entities'], queue: PIPELINE_QUEUE.relationships, failurePolicy: 'fail-run', params: {} },
    { id: 'strengths', phase: 3, dependsOn: ['relationships'], queue: PIPELINE_QUEUE.relationships, failurePolicy: 'fail-run', params: {} },
    { id: 'verify-stats', phase: 4, dependsOn: ['strengths'], queue: PIPELINE_QUEUE.verify, failurePolicy: 'fail-run', params: {} },
  );
  for (const s of content) {
    steps.push({ id: `content:${s.id}`, phase: 5, dependsOn: ['strengths'], queue: PIPELINE_QUEUE.content, failurePolicy: 'continue', params: { sourceId: s.id } });
  }
  validateDag(steps);
  return steps;
}

/** Unknown dependencies and cycles are programming errors: refuse to compile them. */
export function validateDag(steps: readonly DagStep[]): void {
  const ids = new Set(steps.map((s) => s.id));
  if (ids.size !== steps.length) throw new Error('duplicate step id in sync DAG');
  for (const s of steps) for (const d of s.dependsOn) if (!ids.has(d)) throw new Error(`step ${s.id} depends on unknown step ${d}`);
  const state = new Map<string, 'visiting' | 'done'>();
  const byId = new Map(steps.map((s) => [s.id, s]));
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`cycle in sync DAG: ${[...path, id].join(' → ')}`);
    state.set(id, 'visiting');
    for (const d of byId.get(id)!.dependsOn) visit(d, [...path, id]);
    state.set(id, 'done');
  };
  for (const s of steps) visit(s.id, []);
}
