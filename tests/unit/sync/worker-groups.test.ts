import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/errors.js';
import { buildSyncDag } from '../../../src/flows/sync-dag.js';
import { allQueues, groupQueues, jobOptionsFor, queueSpec, servedQueues, splitGroupQueue } from '../../../src/queues/queue-registry.js';
import type { ConfiguredSource } from '../../../src/sync/kith-config.js';
import { formatStepLine } from '../../../src/sync/run-report.js';
import type { StepRow } from '../../../src/sync/run.store.js';
import { missingOnThisHost } from '../../../src/sync/steps/source-step.js';
import { lockOptions } from '../../../src/workers/worker-host.js';

const sources: ConfiguredSource[] = [
  { id: 'vcard', type: 'vcard', path: '/x/contacts.vcf' },
  { id: 'mbox', type: 'mbox', path: 'mail.mbox', group: 'laptop' },
  { id: 'drive-export', type: 'drive-export', path: 'drive', into: 'notes', group: 'nas' },
];

describe('worker groups: routing a source to the hosts that hold its files', () => {
  it("a grouped source's steps go to its group's queue; the others and phases 2-4 stay where they were", () => {
    expect(buildSyncDag(sources).map((s) => [s.id, s.queue])).toEqual([
      ['collect:vcard', 'source-vcard'],
      ['collect:mbox', 'source-mbox@laptop'],
      ['link-entities', 'sync-link'],
      ['relationships', 'sync-relationships'],
      ['strengths', 'sync-relationships'],
      ['verify-stats', 'sync-verify'],
      ['content:drive-export', 'sync-content@nas'],
      ['index-calendar', 'sync-index'],
      ['index-mail', 'sync-index'],
      ['index-messages', 'sync-index'],
      ['index-notes', 'sync-index'],
    ]);
  });

  it("a group's queues are derived from the registry: one per queue that reads source files, with its options", () => {
    const laptop = groupQueues('laptop');
    expect(laptop.map((q) => q.name)).toContain('source-mbox@laptop');
    expect(laptop.map((q) => q.name)).toContain('sync-content@laptop');
    expect(laptop.some((q) => q.name.startsWith('sync-link') || q.name.startsWith('contacts-'))).toBe(false);
    expect(queueSpec('source-mbox@laptop')).toMatchObject({ workerGroup: 'laptop', concurrency: queueSpec('source-mbox').concurrency, lockDurationMs: queueSpec('source-mbox').lockDurationMs });
    expect(jobOptionsFor('source-mbox@laptop')).toEqual(jobOptionsFor('source-mbox'));
    expect(lockOptions('source-mbox@laptop')).toEqual(lockOptions('source-mbox'));
    expect(splitGroupQueue('source-mbox@laptop')).toEqual({ base: 'source-mbox', group: 'laptop' });
    // Bull Board and `kith worker --list` show the groups a configuration names.
    expect(allQueues(['laptop', 'nas', 'laptop']).filter((q) => q.workerGroup).map((q) => q.name)).toEqual([...laptop, ...groupQueues('nas')].map((q) => q.name));
    expect(allQueues()).toEqual(allQueues([]));
  });

  it('refuses a group queue of a queue that reads no files, or a malformed group', () => {
    expect(() => queueSpec('sync-link@laptop')).toThrow(/sync-link.*has no worker group queues/);
    expect(() => queueSpec('source-mbox@Laptop')).toThrow(/worker group 'Laptop'/);
    expect(() => queueSpec('source-fax@laptop')).toThrow(/unknown queue/);
  });

  it("`kith worker --group` serves the group's queues; in --queues a source queue names the group's own", () => {
    expect(servedQueues(undefined, 'laptop')).toEqual(groupQueues('laptop').map((q) => q.name));
    expect(servedQueues(['source-mbox', 'sync-link', 'source-ics@laptop'], 'laptop')).toEqual(['source-mbox@laptop', 'sync-link', 'source-ics@laptop']);
    expect(servedQueues(['source-mbox'], undefined)).toEqual(['source-mbox']);
    expect(servedQueues(undefined, undefined)).toBeUndefined();
  });

  it("a step's line in the run summary names its worker group", () => {
    const row = { step_id: 'collect:mbox', phase: 1, queue: 'source-mbox@laptop', status: 'succeeded', started_at: 1000, finished_at: 3000, records: 5, result: null, error: null } as unknown as StepRow;
    expect(formatStepLine(row)).toMatch(/collect:mbox\s+succeeded \(worker group laptop\) 2\.0s 5 records/);
    expect(formatStepLine({ ...row, queue: 'source-mbox' })).not.toMatch(/worker group/);
  });

  it('a missing file names the file, this host and its group, and what to do', () => {
    const notFound = new NotFoundError('source file not found: /home/sam/mail.mbox', 'ENOENT');
    const ungrouped = missingOnThisHost(notFound, { id: 'mbox', type: 'mbox', path: '/home/sam/mail.mbox' }, { KITH_WORKER_GROUP: 'nas' }) as NotFoundError;
    expect(ungrouped).toBeInstanceOf(NotFoundError);
    expect(ungrouped.retryable).toBe(false);
    expect(ungrouped.message).toBe(
      `source file not found: /home/sam/mail.mbox on host ${hostname()} (KITH_WORKER_GROUP=nas); serve this source from the worker group that holds the file: group: <name> on the source entry 'mbox' in kith.config.yaml, and \`kith worker --group <name>\` on the host that holds it`,
    );
    const grouped = missingOnThisHost(notFound, { id: 'mbox', type: 'mbox', path: '/home/sam/mail.mbox', group: 'laptop' }, {}) as Error;
    expect(grouped.message).toMatch(new RegExp(`on host ${hostname()} \\(KITH_WORKER_GROUP unset\\); the step went to worker group laptop, and this host does not hold the file`));
    const other = new Error('disk on fire');
    expect(missingOnThisHost(other, sources[0]!, {})).toBe(other);
  });
});
