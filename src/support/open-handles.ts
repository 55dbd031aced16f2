/**
 * Every connection and worker this process holds open: Redis clients, BullMQ workers, database
 * handles. Each is added where it is opened and removed where it closes, so the set is exact
 * (the test suite checks it is empty after each test). Always on: one Set entry per handle.
 */
export type HandleKind = 'redis client' | 'BullMQ worker' | 'database' | 'database thread';

export interface OpenHandle {
  readonly kind: HandleKind;
  readonly name: string;
  /** The first frames of the stack that opened it, outside this registry. */
  readonly openedAt: string;
}

const KEY = Symbol.for('kith.openHandles');
type Registry = Set<OpenHandle>;
// One set per process even if this module is loaded twice (sources and built files).
const registry: Registry = ((globalThis as Record<symbol, unknown>)[KEY] ??= new Set<OpenHandle>()) as Registry;
let opened = 0;

/** Record a handle as open; pass what this returns to `handleClosed` when it closes. */
export function handleOpened(kind: HandleKind, name: string): OpenHandle {
  const stack = new Error().stack ?? '';
  const openedAt = stack
    .split('\n')
    .slice(2, 6)
    .map((l) => l.trim().replace(/^at /, ""))
    .join(' < ');
  const h: OpenHandle = { kind, name, openedAt };
  registry.add(h);
  opened++;
  return h;
}

export function handleClosed(h: OpenHandle): void {
  registry.delete(h);
}

/** The handles open right now, oldest first. */
export function openHandles(): OpenHandle[] {
  return [...registry];
}

/** How many handles this process has opened so far, closed ones included. */
export function handlesOpenedSoFar(): number {
  return opened;
}
