import type { Side } from './record-decision.js';

export interface ValveInput {
  /** The side written to. */
  destination: Side;
  /** Live (not deleted) records the destination holds. */
  destinationLive: number;
  /** Live records the source answered with; undefined when the run did not read the source whole. */
  sourceLive?: number;
  /** Deletes (soft delete, trash) the run would make on the destination. */
  deletes: number;
  minSourceShare: number;
  maxDeleteShare: number;
}

/**
 * The safety valve: a source that answers with far fewer records than the destination holds is
 * more likely broken (an expired token, a filter, an outage answering empty) than emptied, and
 * so is a run that would delete a large share. Either way the run stops before writing. Small
 * destinations (a few rows) are not judged by share. Pure; `--force` skips it.
 */
export function valveProblem(v: ValveInput): string | undefined {
  if (v.destinationLive < MIN_JUDGED) return undefined;
  if (v.sourceLive !== undefined && v.sourceLive < v.destinationLive * v.minSourceShare) {
    return `the source answered ${v.sourceLive} live record(s) for ${v.destinationLive} live in ${v.destination} (under ${Math.round(v.minSourceShare * 100)} %): nothing written`;
  }
  if (v.deletes > v.destinationLive * v.maxDeleteShare) {
    return `the run would delete ${v.deletes} of ${v.destinationLive} live record(s) in ${v.destination} (over ${Math.round(v.maxDeleteShare * 100)} %): nothing written`;
  }
  return undefined;
}

/** Destinations holding fewer live records than this are written whatever the shares. */
export const MIN_JUDGED = 10;

/**
 * Whether no safety valve can stop a full run before its read ends: a forced run, or a one-way
 * table whose Supabase side holds fewer live rows than the valve judges (a first sync). Such a
 * run may write while it still reads.
 */
export function noValveCanStop(v: { mode: 'one-way' | 'two-way'; force: boolean; supabaseLive: number }): boolean {
  return v.force || (v.mode === 'one-way' && v.supabaseLive < MIN_JUDGED);
}
