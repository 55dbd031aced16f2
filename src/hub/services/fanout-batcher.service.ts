import type { SystemName } from '../domain/canonical-contact.js';

export interface BatchedItem {
  contactId: string;
  version: number;
}

export interface BatchKey {
  origin: string;
  /** Targets that already hold these versions (the system an edit came from): no child for them. */
  holders: readonly SystemName[];
}

type Flush<R> = (items: BatchedItem[], key: BatchKey) => Promise<R>;

interface Group<R> {
  key: BatchKey;
  waiting: { item: BatchedItem; resolve: (r: R) => void; reject: (e: unknown) => void }[];
  flushing: boolean;
  scheduled: boolean;
}

/**
 * Group commit for fan-outs. Changes merged by concurrent inbound jobs in the same turn of the
 * event loop — or while the previous batch of their kind is still being enqueued — share one
 * fan-out flow: one parent, one child per target, one write per target for all of them. At a
 * trickle every change goes alone (nothing waits for a timer); under load batches grow by
 * themselves, up to `maxItems`. Each caller's promise settles when its batch is enqueued (or
 * failed), so an inbound job completes only once its change is safely on the queues.
 * Pure scheduling: the flush function does the I/O.
 */
export class FanoutBatcher<R> {
  private readonly groups = new Map<string, Group<R>>();

  constructor(
    private readonly flush: Flush<R>,
    private readonly maxItems = 100,
  ) {}

  add(item: BatchedItem, key: BatchKey): Promise<R> {
    const id = `${key.origin}|${[...key.holders].sort().join(',')}`;
    let g = this.groups.get(id);
    if (!g) this.groups.set(id, (g = { key, waiting: [], flushing: false, scheduled: false }));
    const group = g;
    return new Promise<R>((resolve, reject) => {
      group.waiting.push({ item, resolve, reject });
      this.schedule(id, group);
    });
  }

  /** Items waiting for a flush (a batch being enqueued is no longer counted). */
  get pending(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.waiting.length;
    return n;
  }

  private schedule(id: string, g: Group<R>): void {
    if (g.flushing || g.scheduled) return;
    g.scheduled = true;
    setImmediate(() => {
      g.scheduled = false;
      void this.run(id, g);
    });
  }

  private async run(id: string, g: Group<R>): Promise<void> {
    if (g.flushing || !g.waiting.length) return;
    g.flushing = true;
    const batch = g.waiting.splice(0, this.maxItems);
    try {
      const r = await this.flush(batch.map((b) => b.item), g.key);
      for (const b of batch) b.resolve(r);
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      g.flushing = false;
      if (g.waiting.length) this.schedule(id, g);
      else this.groups.delete(id);
    }
  }
}
