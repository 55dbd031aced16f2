/**
 * Delay before retry `attempt` (1 = the first retry) of a temporary failure: exponential from
 * `baseMs`, capped at `maxMs`, with full jitter so processes that failed together do not retry
 * together. `random` is injectable for tests.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
