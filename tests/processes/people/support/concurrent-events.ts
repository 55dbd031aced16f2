import type { InteractionEvent } from '../../../../src/sources/source-event.js';

export const SELF = { emails: ['me@example.com'], phones: [] };
export const ADDRESSES = Array.from({ length: 24 }, (_, i) => `Person${i}@Example.org`);

/** Event k: from one of 24 people to another (and self); the same k always yields the same event. */
export function concurrentEvent(k: number): InteractionEvent {
  return {
    kind: 'interaction',
    sourceType: 'gmail',
    externalId: `ev-${k}`,
    timestamp: 1_700_000_000_000 + k * 60_000,
    title: `message ${k}`,
    conversationKey: `thread-${k % 17}`,
    from: { email: ADDRESSES[k % 24]!, name: `Person ${k % 24}` },
    participants: [{ email: ADDRESSES[(k * 7 + 3) % 24]! }, { email: 'me@example.com' }],
  };
}
