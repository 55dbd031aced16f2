import { hostname } from 'node:os';
import type { Db } from '../../db/db.js';
import { FatalError, NotFoundError } from '../../errors.js';
import type { ConfiguredSource } from '../kith-config.js';
import { sourceStateKey } from '../collect-source.service.js';
import { recordFailure, recordSuccess } from '../sync-state.store.js';
import type { StepContext, StepOutput } from './step-declaration.js';

/** The configured source a per-source step works on (given to it by the step runner). */
export function sourceOfStep(ctx: StepContext): ConfiguredSource {
  if (!ctx.source) throw new FatalError(`step ${ctx.step.step_id}: no configured source`);
  return ctx.source;
}

export { sourceStateKey };

/**
 * Record a source step's outcome in sync_state too, for `kith status` and /health; a file
 * missing on this host fails it naming the host (see missingOnThisHost).
 */
export async function tracked<T extends StepOutput>(db: Db, source: ConfiguredSource, fn: () => Promise<T>): Promise<T> {
  const key = sourceStateKey(source.id);
  try {
    const out = await fn();
    await recordSuccess(db, key, out.records);
    return out;
  } catch (raw) {
    const err = missingOnThisHost(raw, source);
    await recordFailure(db, key, (err as Error).message);
    throw err;
  }
}

/**
 * A source's files missing on the host whose worker took its step: the error names the file,
 * this host (its name and KITH_WORKER_GROUP) and what to do. Other errors pass unchanged.
 */
export function missingOnThisHost(err: unknown, source: ConfiguredSource, env: NodeJS.ProcessEnv = process.env): unknown {
  if (!(err instanceof NotFoundError) || !/^source (path|file) not found: /.test(err.message)) return err;
  const group = env.KITH_WORKER_GROUP?.trim();
  const host = `host ${hostname()} (${group ? `KITH_WORKER_GROUP=${group}` : 'KITH_WORKER_GROUP unset'})`;
  const todo = source.group
    ? `the step went to worker group ${source.group}, and this host does not hold the file: put it at that path on every host of group ${source.group}, or serve this source from the worker group that holds the file: group: <that group> on the source entry '${source.id}'`
    : `serve this source from the worker group that holds the file: group: <name> on the source entry '${source.id}' in kith.config.yaml, and \`kith worker --group <name>\` on the host that holds it`;
  return new NotFoundError(`${err.message} on ${host}; ${todo}`, err.code, { cause: err });
}
