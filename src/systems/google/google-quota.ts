/**
 * Gmail's per-user quota: 250 units a second, a method costs its units (messages.list and
 * messages.get 5, history.list 2, getProfile 1). One budget per mailbox, kept in Redis so that
 * every process reading that mailbox spends it together.
 */
export const GMAIL_QUOTA_UNITS_PER_S = 250;

export const GMAIL_COSTS = {
  'messages.list': 5,
  'messages.get': 5,
  'history.list': 2,
  getProfile: 1,
} as const;

export type GmailMethod = keyof typeof GMAIL_COSTS;

/** The limiter key of one mailbox (the deployment's prefix carries its hash tag). */
export const gmailLimiterKey = (prefix: string, user: string) => `${prefix}:google:gmail:${user.toLowerCase()}:quota`;
