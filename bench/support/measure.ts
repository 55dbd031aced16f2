/** Small helpers the benchmarks share: flag parsing and latency percentiles. */

/** A `--name` flag's value as a positive integer, or an error naming the flag. */
export function positiveInt(v: string | undefined, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
}

/** p50, p95 and p99 of these durations (sorts them in place). */
export function percentiles(ms: number[]): { p50: number; p95: number; p99: number } {
  ms.sort((a, b) => a - b);
  const at = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}
