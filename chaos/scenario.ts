/**
 * The contract of the fault-injection suite: a scenario starts the real processes on loopback,
 * injects one fault, waits for the system to settle, checks invariants, and returns one result.
 * Every scenario cleans up every process and directory it made, whether it passed or not, and
 * stops by itself within its `budgetSeconds`.
 */

/** The database a scenario runs Kith on. */
export type ChaosEngine = 'sqlite' | 'postgres';

/** What a scenario gets from the runner. */
export interface ChaosContext {
  engine: ChaosEngine;
  /** A PostgreSQL server URL (a throwaway database per scenario is the scenario's to create) when engine is postgres. */
  postgresUrl?: string;
  /** Smaller data and shorter faults: the subset `npm test` runs. */
  fast: boolean;
  /** Progress for a person watching (stderr). */
  log(message: string): void;
  /** Aborted when the scenario's budget is spent: stop, clean up, and return a failed result. */
  signal: AbortSignal;
}

/** One JSON line per scenario (snake_case keys as printed). */
export interface ChaosResult {
  scenario: string;
  engine: ChaosEngine;
  passed: boolean;
  /** Seconds from the fault's end (the restart, the recovery of the target) until the system had settled. */
  recovery_s: number | null;
  /** Records or contact changes a clean run has and this one does not. */
  lost: number;
  /** Records or writes present more than once beyond idempotent upserts. */
  duplicated: number;
  /** Share of contacts whose state differs between the canonical store and a target after settling (0–100), when the scenario concerns the hub. */
  drift_pct: number | null;
  /** Every invariant that did not hold, each a sentence naming the table, count or system. */
  discrepancies: string[];
  /** Scenario-specific figures (requests per second during a storm, retries, …). */
  details?: Record<string, unknown>;
}

export interface ChaosScenario {
  /** kebab-case, unique; the name `npm run chaos -- <name>` takes. */
  name: string;
  /** One line: the fault and what must hold afterwards. */
  description: string;
  /** Engines it runs on. */
  engines: readonly ChaosEngine[];
  /** Part of the subset `npm test` runs (with `fast: true`). */
  fast: boolean;
  /** Upper bound of its run time in seconds, fast or not; the runner aborts it past this. */
  budgetSeconds(fast: boolean): number;
  run(ctx: ChaosContext): Promise<Omit<ChaosResult, 'scenario' | 'engine'>>;
}
