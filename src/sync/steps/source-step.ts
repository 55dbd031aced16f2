import type { Db } from '../../db/db.js';
import { FatalError } from '../../errors.js';
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

/** Record a source step's outcome in sync_state too, for `kith status` and /health. */
export async function tracked<T extends StepOutput>(db: Db, key: string, fn: () => Promise<T>): Promise<T> {
  try {
    const out = await fn();
    await recordSuccess(db, key, out.records);
    return out;
  } catch (err) {
    await recordFailure(db, key, (err as Error).message);
    throw err;
  }
}
