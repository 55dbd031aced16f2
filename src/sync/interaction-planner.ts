import type { SelfIdentity } from '../domain/people/identity.js';
import { interactionsFromEvent, type PlannedInteraction } from '../domain/people/interaction-rules.js';
import type { InteractionEvent, ParticipantRef } from '../sources/source-event.js';

/** Distinct participant sets remembered; past it the memo starts over (bounds memory). */
const MAX_SHAPES = 50_000;

export const refKey = (r: ParticipantRef) => `${r.email ?? ''}\u0000${r.phone ?? ''}\u0000${r.handle ?? ''}\u0000${r.name ?? ''}`;

interface Shape {
  participant: ParticipantRef;
  entityRef: string;
}

/**
 * `interactionsFromEvent` remembered per participant set. Which participants an event yields
 * depends only on its type, direction and participants; deciding it costs a phone number
 * parse per participant (libphonenumber, tens of µs for +1 numbers), so a call log of 200k calls
 * between a few thousand numbers would parse 400k times. The event's own fields (id, time,
 * title, …) are filled in per event exactly as the rules do; only events with a phone number
 * use the memo; the first event of every shape
 * checks that reconstruction against the rules' output, and a mismatch turns the memo off.
 */
export class InteractionPlanner {
  private readonly shapes = new Map<string, Shape[]>();
  private trusted = true;

  constructor(private readonly self: SelfIdentity) {}

  plan(event: InteractionEvent): PlannedInteraction[] {
    // Only phone numbers are costly to normalise; mail and chat participant sets rarely repeat.
    if (!this.trusted || !(event.from?.phone || event.participants.some((p) => p.phone))) return interactionsFromEvent(event, this.self);
    let key = `${event.sourceType}\u0001${event.fromSelf === true ? 1 : 0}\u0001${event.from ? refKey(event.from) : '-'}`;
    for (const p of event.participants) key += `\u0001${refKey(p)}`;
    const shape = this.shapes.get(key);
    if (shape) return shape.map((s) => fill(event, s));
    const planned = interactionsFromEvent(event, this.self);
    const made: Shape[] = planned.map((p) => ({ participant: p.participant, entityRef: p.row.entityRef ?? '' }));
    if (!sameRows(planned, made.map((s) => fill(event, s)))) {
      this.trusted = false;
      this.shapes.clear();
      return planned;
    }
    if (this.shapes.size >= MAX_SHAPES) this.shapes.clear();
    this.shapes.set(key, made);
    return planned;
  }
}

function fill(event: InteractionEvent, s: Shape): PlannedInteraction {
  return {
    participant: s.participant,
    row: {
      sourceType: event.sourceType,
      externalId: `${event.externalId}#${s.entityRef}`,
      occurredAt: event.timestamp,
      title: event.title,
      snippet: event.snippet ?? null,
      conversationKey: event.conversationKey,
      entityRef: s.entityRef,
    },
  };
}

function sameRows(a: PlannedInteraction[], b: PlannedInteraction[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((p, i) => {
    const q = b[i]!;
    const ka = Object.keys(p.row).sort();
    const kb = Object.keys(q.row).sort();
    return p.participant === q.participant && ka.join() === kb.join() && ka.every((k) => (p.row as Record<string, unknown>)[k] === (q.row as Record<string, unknown>)[k]);
  });
}
