import type { CategoryRef } from './promotion-config.js';

/**
 * What the people graph knows about one person, as the promotion reads it
 * (src/promotion/person-graph.reader.ts) and the pure builders turn it into a contact.
 * Times are epoch milliseconds.
 */
export interface PersonGraph {
  id: string;
  name: string;
  emails: string[];
  phones: string[];
  company: string | null;
  jobTitle: string | null;
  category: CategoryRef | null;
  /** Interactions per channel (email, meeting, message, mention, call). */
  counts: Record<string, number>;
  firstAt: number | null;
  lastAt: number | null;
  strength: number | null;
  /** Interaction source types the person appears in. */
  sources: string[];
  /** Profile URLs the sources hold (LinkedIn and the like). */
  profiles: string[];
  /** Interactions in the last 90 days and in the 90 days before. */
  window: { recent: number; before: number };
  /** The people most often in the same conversations, most first. */
  companions: { personId: string; name: string; shared: number }[];
  /** Most recent first. */
  recent: { at: number; channel: string; title: string }[];
  openThreads: { at: number; channel: string; title: string }[];
}
