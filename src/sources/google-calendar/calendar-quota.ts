/**
 * Calendar's per-user limit: requests a minute for one account (600 by default; Google counts
 * every call alike, so each costs 1). One budget per account, kept in Redis so that every
 * process reading that account's calendars spends it together.
 */
export const CALENDAR_REQUESTS_PER_MINUTE = 600;

/** The limiter key of one account (the deployment's prefix carries its hash tag). */
export const calendarLimiterKey = (prefix: string, user: string) => `${prefix}:google:calendar:${user.toLowerCase()}:quota`;
