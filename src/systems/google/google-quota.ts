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

/**
 * Drive's per-user limit: 12,000 queries a minute per user (files.list, files.get, files.export
 * and changes.list each count one; an export is a query like any other). One budget per account
 * a source reads, kept in Redis like Gmail's.
 */
export const DRIVE_REQUESTS_PER_MINUTE = 12_000;

/** The limiter key of one Drive account (the deployment's prefix carries its hash tag). */
export const driveLimiterKey = (prefix: string, user: string) => `${prefix}:google:drive:${user.toLowerCase()}:quota`;

/**
 * People API's per-user limits: Google's default quota allows 90 contact reads and 90 contact
 * writes (creates, updates, deletes) a minute per user. Reads and writes are two budgets, each
 * kept in Redis for every process reading or writing that account's contacts.
 */
export const PEOPLE_READS_PER_MINUTE = 90;
export const PEOPLE_WRITES_PER_MINUTE = 90;

/** The limiter key of one account's People budget (`reads` or `writes`). */
export const peopleLimiterKey = (prefix: string, account: string, budget: 'reads' | 'writes') => `${prefix}:google:people:${account.toLowerCase()}:${budget}`;
