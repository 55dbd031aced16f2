import { isInteractionSourceType } from '../domain/people/source-mapping.js';
import type { InteractionSourceType } from '../domain/people/interaction-event.js';
import { interactionTypesOf } from '../sources/registry.js';

/**
 * Interaction source types an entity's interactions can carry, by the `source` its entity was
 * recorded under: an interaction source type itself, or the configured source (export) type
 * whose declaration says it produces them. Split and relink move an entity's interactions
 * through this.
 */
export function interactionTypesOfSource(source: string): InteractionSourceType[] {
  const types = new Set<InteractionSourceType>(interactionTypesOf(source));
  if (isInteractionSourceType(source)) types.add(source);
  return [...types];
}
