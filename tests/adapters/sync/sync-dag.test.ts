import type { FlowJob } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { compileFlow, stepJobId } from '../../../src/flows/compile-flow.js';
import { buildSyncDag, type DagStep, validateDag } from '../../../src/flows/sync-dag.js';
import { queueSpec } from '../../../src/queues/queue-registry.js';
import { SOURCES } from '../../../src/sources/registry.js';
import type { ConfiguredSource } from '../../../src/sync/kith-config.js';
import { STEPS, stepDeclaration, stepQueues } from '../../../src/sync/steps/index.js';
import { dependencyState, runOutcome, type StepRow } from '../../../src/sync/run.store.js';

const sources: ConfiguredSource[] = [
  { id: 'vcard', type: 'vcard', path: '/x/contacts.vcf' },
  { id: 'mbox', type: 'mbox', path: '/x/mail.mbox' },
  { id: 'ics', type: 'ics', path: '/x/cal.ics' },
  { id: 'drive-export', type: 'drive-export', path: '/x/drive', into: '/x/notes/drive' },
];

function row(s: DagStep, status: StepRow['status']): StepRow {
  return {
    run_id: 'r', step_id: s.id, phase: s.phase, depends_on: JSON.stringify(s.dependsOn), queue: s.queue, failure_policy: s.failurePolicy,
    params: '{}', status, started_at: null, finished_at: null, records: 0, result: null, error: null, attempts: 0,
  };
}

describe('the phase DAG as data', () => {
  const dag = buildSyncDag(sources);

  it('has the five phases with their dependencies and policies', () => {
    expect(dag.map((s) => [s.id, s.phase, s.dependsOn, s.queue, s.failurePolicy])).toEqual([
      ['collect:vcard', 1, [], 'source-vcard', 'continue'],
      ['collect:mbox', 1, ['collect:vcard'], 'source-mbox', 'continue'],
      ['collect:ics', 1, ['collect:vcard'], 'source-ics', 'continue'],
      ['link-entities', 2, ['collect:vcard', 'collect:mbox', 'collect:ics'], 'sync-link', 'fail-run'],
      ['relationships', 3, ['link-entities'], 'sync-relationships', 'fail-run'],
      ['strengths', 3, ['relationships'], 'sync-relationships', 'fail-run'],
      ['verify-stats', 4, ['strengths'], 'sync-verify', 'fail-run'],
      ['content:drive-export', 5, [], 'sync-content', 'continue'],
      ['index-calendar', 4, ['collect:ics'], 'sync-index', 'continue'],
      ['index-mail', 4, ['strengths'], 'sync-index', 'continue'],
      ['index-messages', 4, ['strengths'], 'sync-index', 'continue'],
      ['index-notes', 4, ['strengths', 'content:drive-export'], 'sync-index', 'continue'],
    ]);
  });

  it('plans every declared step over every declared source, on queues the step worker serves', () => {
    const all: ConfiguredSource[] = SOURCES.map((s) => ({ id: `my-${s.type}`, type: s.type, path: `/x/${s.type}`, into: '/x/notes' }));
    const steps = buildSyncDag(all);
    const served = new Set(stepQueues());
    for (const s of steps) {
      expect(served.has(s.queue)).toBe(true);
      expect(queueSpec(s.queue).name).toBe(s.queue);
      expect(stepDeclaration(s.id).phase).toBe(s.phase);
    }
    expect(new Set(steps.map((s) => s.id.split(':')[0]))).toEqual(new Set(STEPS.map((d) => d.name)));
    expect(steps.filter((s) => s.phase === 1).map((s) => s.params.sourceId)).toEqual(SOURCES.filter((s) => s.role === 'collection').map((s) => `my-${s.type}`));
    expect(() => stepDeclaration('no-such-step')).toThrow(/unknown step kind in no-such-step/);
  });

  it('refuses cycles and unknown dependencies', () => {
    const a: DagStep = { id: 'a', phase: 1, dependsOn: ['b'], queue: 'q', failurePolicy: 'continue', params: {} };
    const b: DagStep = { ...a, id: 'b', dependsOn: ['a'] };
    expect(() => validateDag([a, b])).toThrow(/cycle in sync DAG: a → b → a/);
    expect(() => validateDag([{ ...a, dependsOn: ['zzz'] }])).toThrow(/depends on unknown step zzz/);
  });

  it('compiles to one flow: each step under its first dependent, the diamond left to the gate', () => {
    const flow = compileFlow('run-1', dag);
    const shape = (f: FlowJob | { name: string; children?: unknown[] }): unknown => ({ [f.name]: (f.children ?? []).map((c) => shape(c as FlowJob)) });
    expect(shape(flow)).toEqual({
      'sync-run': [
        { 'verify-stats': [{ strengths: [{ relationships: [{ 'link-entities': [{ 'collect:mbox': [{ 'collect:vcard': [] }] }, { 'collect:ics': [] }] }] }] }] },
        { 'index-calendar': [] },
        { 'index-mail': [] },
        { 'index-messages': [] },
        { 'index-notes': [{ 'content:drive-export': [] }] },
      ],
    });
    expect(flow.opts?.jobId).toBe('run-1');
    const verify = flow.children![0]!;
    expect(verify.opts?.jobId).toBe(stepJobId('run-1', 'verify-stats'));
    expect(verify.opts?.ignoreDependencyOnFailure).toBe(true);
    expect(verify.data).toEqual({ runId: 'run-1', stepId: 'verify-stats' });
  });

  it('gates a step until every dependency is done, and blocks it after a fail-run failure', () => {
    const byId = Object.fromEntries(dag.map((s) => [s.id, s]));
    // The notes index waits for the graph and for the content sync; a failed content sync
    // (policy continue) does not block it, a failed graph step does.
    const notes = row(byId['index-notes']!, 'pending');
    const content = row(byId['content:drive-export']!, 'succeeded');
    expect(dependencyState(notes, [notes, content, row(byId['strengths']!, 'running')])).toBe('waiting');
    expect(dependencyState(notes, [notes, { ...content, status: 'running' }, row(byId['strengths']!, 'succeeded')])).toBe('waiting');
    expect(dependencyState(notes, [notes, content, row(byId['strengths']!, 'succeeded')])).toBe('ready');
    expect(dependencyState(notes, [notes, { ...content, status: 'failed' }, row(byId['strengths']!, 'succeeded')])).toBe('ready');
    expect(dependencyState(notes, [notes, content, row(byId['strengths']!, 'failed')])).toBe('blocked');
    // Content sync depends on nothing: it starts with phase 1.
    expect(byId['content:drive-export']!.dependsOn).toEqual([]);
    const link = row(byId['link-entities']!, 'pending');
    // A failed source (policy continue) does not block phase 2: it uses the data that exists.
    const vcard = row(byId['collect:vcard']!, 'succeeded');
    expect(dependencyState(link, [link, vcard, row(byId['collect:mbox']!, 'failed'), row(byId['collect:ics']!, 'succeeded')])).toBe('ready');
    // Mail waits for the address book, and still runs when the address book failed.
    const mbox = row(byId['collect:mbox']!, 'pending');
    expect(dependencyState(mbox, [mbox, { ...vcard, status: 'running' }])).toBe('waiting');
    expect(dependencyState(mbox, [mbox, { ...vcard, status: 'failed' }])).toBe('ready');
  });

  it('a failed source makes a run partial; a failed phase 2–4 step fails it', () => {
    const ok = dag.map((s) => row(s, 'succeeded'));
    expect(runOutcome(ok)).toBe('succeeded');
    expect(runOutcome(ok.map((r) => (r.step_id === 'collect:ics' ? { ...r, status: 'failed' } : r)))).toBe('partial');
    expect(runOutcome(ok.map((r) => (r.step_id === 'relationships' ? { ...r, status: 'failed' } : r)))).toBe('failed');
  });
});
