/**
 * The time the emulators stamp records with (Twenty's updatedAt, Supabase's updated_at and
 * last_updated_at, BigQuery's CURRENT_TIMESTAMP and streaming buffer): real time plus an offset
 * a test moves forward. "This edit is later than that one" is then `await clock.advance(ms)`,
 * not a sleep. One clock can serve several emulators (and an in-process hub's `clock` option),
 * so their times stay in step; `advance` resolves once every emulator sharing it has moved.
 */
export class EmulatorClock {
  private offsetMs = 0;
  private readonly listeners: ((offsetMs: number) => Promise<void> | void)[] = [];

  constructor(private readonly base: () => number = Date.now) {}

  /** Milliseconds since the epoch, as the emulators see them. */
  now(): number {
    return this.base() + this.offsetMs;
  }

  /** How far ahead of real time the emulators are. */
  get offset(): number {
    return this.offsetMs;
  }

  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new Error('an emulator clock only moves forward');
    this.offsetMs += ms;
    for (const l of this.listeners) await l(this.offsetMs);
  }

  /** For an emulator whose time lives elsewhere (Supabase's, in PostgreSQL): told each new offset. */
  onAdvance(listener: (offsetMs: number) => Promise<void> | void): void {
    this.listeners.push(listener);
  }
}
