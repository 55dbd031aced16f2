import { groupQueue } from '../queues/queue-registry.js';
import { sourceDeclaration } from '../sources/registry.js';
import type { ConfiguredSource } from '../sync/kith-config.js';
import { type DagStep, STEPS } from '../sync/steps/index.js';

/** The unified sync as data: the steps (`DagStep`) built from the declared steps and the configured sources. */
export type { DagStep, FailurePolicy } from '../sync/steps/index.js';

/**
 * One run's DAG: each declared step once, a per-source step once for every configured source of
 * its role. Phase 1: collection, address books first; 2: entity linking; 3: relationship
 * discovery, then strengths; 4: verification of counts and the search index; 5: content sync,
 * which depends on nothing and runs beside phase 1.
 */
export function buildSyncDag(sources: readonly ConfiguredSource[]): DagStep[] {
  // Every step's id first, so a step may depend on any other (an address book listed after a
  // mailbox still goes first).
  const planned = STEPS.map((decl) => ({
    decl,
    instances: decl.perSource
      ? sources.filter((s) => sourceDeclaration(s.type).role === decl.perSource).map((s) => ({ id: `${decl.name}:${s.id}`, source: s as ConfiguredSource | undefined }))
      : [{ id: decl.name, source: undefined as ConfiguredSource | undefined }],
  }));
  const byName = new Map(planned.map((p) => [p.decl.name, p.instances]));
  const ids = (name: string, where?: (s: ConfiguredSource) => boolean) =>
    (byName.get(name) ?? []).filter((p) => !where || (p.source && where(p.source))).map((p) => p.id);
  const steps: DagStep[] = [];
  for (const { decl, instances } of planned) {
    for (const { id, source } of instances) {
      const step = decl.perSource
        ? { id, queue: sourceStepQueue(decl.queue(source!.type), source!), dependsOn: decl.dependsOn({ ids }, source!), params: { sourceId: source!.id } }
        : { id, queue: decl.queue, dependsOn: decl.dependsOn({ ids }), params: {} };
      steps.push({ ...step, phase: decl.phase, failurePolicy: decl.failurePolicy });
    }
  }
  validateDag(steps);
  return steps;
}

/** A source's step goes to its worker group's own queue when the entry names one. */
const sourceStepQueue = (queue: string, source: ConfiguredSource) => (source.group ? groupQueue(queue, source.group) : queue);

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
