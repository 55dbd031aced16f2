import { describe, expect, it } from 'vitest';
import { interactionsFromEvent } from '../../src/domain/people/interaction-rules.js';
import type { InteractionEvent } from '../../src/sources/source-event.js';
import { InteractionPlanner } from '../../src/sync/interaction-planner.js';

const self = { emails: ['me@example.com'], phones: ['+14155550100'], names: [], handles: [] };

function call(i: number, outgoing: boolean, phone: string, name?: string): InteractionEvent {
  const other = name ? { phone, name } : { phone };
  return {
    kind: 'interaction',
    sourceType: 'phone',
    externalId: `call:${i}:${phone}`,
    timestamp: 1_700_000_000_000 + i,
    title: `call ${i}`,
    ...(i % 3 ? { snippet: `s${i}` } : {}),
    conversationKey: `phone:${phone}`,
    participants: outgoing ? [other] : [],
    ...(outgoing ? { fromSelf: true } : { from: other }),
  };
}

describe('InteractionPlanner', () => {
  it('plans exactly what the interaction rules plan, for repeated and new participant sets', () => {
    const planner = new InteractionPlanner(self);
    const phones = ['+15550000001', '(555) 000-0002', '+14155550100', '+15550000001'];
    const events: InteractionEvent[] = [];
    for (let i = 0; i < 40; i++) events.push(call(i, i % 2 === 0, phones[i % phones.length]!, i % 4 === 1 ? 'Ada' : undefined));
    events.push({ kind: 'interaction', sourceType: 'sms', externalId: 'sms:1', timestamp: 1, title: 't', conversationKey: 'sms:x', from: { phone: '+15550000009' }, participants: [{ phone: '+14155550100' }, { phone: '+15550000001' }] });
    events.push({ kind: 'interaction', sourceType: 'gmail', externalId: 'm1', timestamp: 2, title: 't', conversationKey: 'c', from: { email: 'a@x.org' }, participants: [{ email: 'me@example.com' }, { email: 'b@x.org', name: 'B' }] });
    for (const e of [...events, ...events]) expect(planner.plan(e)).toEqual(interactionsFromEvent(e, self));
    // self's own number never becomes an interaction, memo or not
    expect(planner.plan(call(99, false, '+14155550100'))).toEqual([]);
  });
});
