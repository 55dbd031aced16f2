import { FatalError } from '../../errors.js';
import { COLLECTION_SOURCES, SOURCES } from '../../sources/registry.js';
import type { RunDetails, StepRow } from '../run.store.js';
import { resolveOnThisHost } from '../kith-config.js';
import { collectStep } from './collect.step.js';
import { contentStep } from './content.step.js';
import { indexCalendarStep } from './index-calendar.step.js';
import { indexMailStep } from './index-mail.step.js';
import { indexMessagesStep } from './index-messages.step.js';
import { indexNotesStep } from './index-notes.step.js';
import { linkEntitiesStep } from './link-entities.step.js';
import { relationshipsStep } from './relationships.step.js';
import type { StepContext, StepDeclaration, StepOutput } from './step-declaration.js';
import { strengthsStep } from './strengths.step.js';
import { verifyStatsStep } from './verify-stats.step.js';

export type { DagStep, FailurePolicy, StepDeclaration, StepOutput } from './step-declaration.js';

/**
 * Every step of the unified sync, in the order a run's DAG lists them. Adding a step is a
 * declaration in this folder and a line here.
 */
export const STEPS: readonly StepDeclaration[] = [collectStep, linkEntitiesStep, relationshipsStep, strengthsStep, verifyStatsStep, contentStep, indexCalendarStep, indexMailStep, indexMessagesStep, indexNotesStep];

const BY_NAME = new Map(STEPS.map((s) => [s.name, s]));

/** The declaration a recorded step id (`link-entities`, `collect:<source id>`, …) belongs to. */
export function stepDeclaration(stepId: string): StepDeclaration {
  const [name] = stepId.split(':');
  const d = BY_NAME.get(name!);
  if (!d) throw new FatalError(`unknown step kind in ${stepId}`);
  return d;
}

/** Every queue a step can run on: each source type's queue for per-source steps, and the rest. */
export function stepQueues(): string[] {
  const names = STEPS.flatMap((d) => {
    if (!d.perSource) return [d.queue];
    const sources = d.perSource === 'collection' ? COLLECTION_SOURCES : SOURCES.filter((s) => s.role === d.perSource);
    return sources.map((s) => d.queue(s.type));
  });
  return [...new Set(names)];
}

/** Run one recorded step: find its declaration (and its configured source) and call it. */
export async function runStep(step: StepRow, details: RunDetails, deps: Omit<StepContext, 'step' | 'details' | 'source'>): Promise<StepOutput> {
  const decl = stepDeclaration(step.step_id);
  const ctx: StepContext = { ...deps, step, details };
  if (decl.perSource) {
    const { sourceId } = JSON.parse(step.params) as { sourceId?: string };
    const source = details.config.sources.find((x) => x.id === sourceId);
    if (!source) throw new FatalError(`step ${step.step_id}: source '${sourceId}' is not in the run's configuration`);
    // A grouped source's paths are this host's.
    ctx.source = resolveOnThisHost(source);
  }
  return decl.run(ctx);
}
