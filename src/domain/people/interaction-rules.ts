import type { CountryCode } from 'libphonenumber-js';
import type { InteractionEvent, ParticipantRef } from './interaction-event.js';
import { participantKeys, type SelfIdentity, selfMatcher } from './identity.js';
import type { InteractionInput } from './interaction.js';
import { CHAT_SOURCES } from './source-mapping.js';

/**
 * The interaction rules: they decide every count a user sees.
 *   gmail, calendar, vault, granola  one interaction per participant (from + participants) other than self
 *   imessage, sms, whatsapp, slack, linkedin
 *                                    from someone else: one interaction with the sender;
 *                                    from self (fromSelf, or `from` is self): one per other participant
 *   phone                            one interaction with the other party
 * A participant appearing twice (From and Cc) counts once; a participant with no usable
 * identifier is dropped. Each row's external id is `${event.externalId}#${entity key}`: stable
 * across re-imports and unique per source, so re-running a source adds nothing.
 */
export interface PlannedInteraction {
  participant: ParticipantRef;
  row: Omit<InteractionInput, 'personId'>;
}

export function interactionsFromEvent(event: InteractionEvent, self: SelfIdentity, region: CountryCode = 'US'): PlannedInteraction[] {
  const isSelf = selfMatcher(self, region);
  const fromSelf = event.fromSelf === true || isSelf(event.from);
  const others = (refs: (ParticipantRef | undefined)[]) => refs.filter((r): r is ParticipantRef => !!r && !isSelf(r));

  let chosen: ParticipantRef[];
  if (CHAT_SOURCES.has(event.sourceType)) {
    if (fromSelf) chosen = others(event.participants);
    else if (event.from) chosen = [event.from];
    else {
      // No sender given: attributable only in a one-to-one conversation.
      const rest = others(event.participants);
      chosen = rest.length === 1 ? rest : [];
    }
  } else if (event.sourceType === 'phone') {
    chosen = others(fromSelf ? event.participants : [event.from, ...event.participants]).slice(0, 1);
  } else {
    chosen = others([fromSelf ? undefined : event.from, ...event.participants]);
  }

  const out: PlannedInteraction[] = [];
  const seen = new Set<string>();
  for (const participant of chosen) {
    const key = participantKeys(event.sourceType, participant, region).entityKey;
    if (!key || seen.has(key)) continue;
    seen.add(key);
    out.push({
      participant,
      row: {
        sourceType: event.sourceType,
        externalId: `${event.externalId}#${key}`,
        occurredAt: event.timestamp,
        title: event.title,
        snippet: event.snippet ?? null,
        conversationKey: event.conversationKey,
        entityRef: key,
      },
    });
  }
  return out;
}
