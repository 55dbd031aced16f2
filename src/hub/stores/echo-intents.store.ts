import type { SystemName } from '../domain/canonical-contact.js';
import type { LinkState } from '../domain/echo-detector.js';
import type { RedisClient } from '../../redis/connection.js';

/**
 * What Kith is about to write to a system, recorded before the write. A system's webhook for
 * that write can arrive before the worker has recorded the link (Supabase's database webhooks
 * and Twenty's fire as the row commits): the route compares it with this intent as well as
 * with the link, so the echo is acknowledged without a job whichever comes first. An intent
 * lives `ECHO_INTENT_TTL_MS`; later echoes are recognised by the link. A write that fails leaves
 * an intent for content the canonical store already holds, so taking an edit to exactly that
 * content for an echo loses nothing.
 */
export const ECHO_INTENT_TTL_MS = 5 * 60_000;

export interface EchoIntent {
  contactId: string;
  hash: string;
  /** The canonical version being written (systems that store one report it back). */
  version: number;
}

/** Systems that report changes by webhook: only their writes leave intents. */
const WEBHOOK_SYSTEMS: ReadonlySet<SystemName> = new Set(['twenty', 'supabase']);
export const sendsWebhooks = (system: SystemName) => WEBHOOK_SYSTEMS.has(system);

export const echoIntentKey = (prefix: string, system: SystemName, contactId: string) => `${prefix}:hub:echo:${system}:${contactId}`;
/** Every content Kith wrote to one system's copy of a contact in the last ECHO_INTENT_TTL_MS (a sorted set: hash → when). */
export const recentWritesKey = (prefix: string, system: SystemName, contactId: string) => `${prefix}:hub:echo-recent:${system}:${contactId}`;

/**
 * Records the intents of one write, in one round trip (the newest write to a contact replaces
 * the older intent), and adds each content to the contact's recent writes there (older than
 * the intent's life forgotten).
 */
export async function expectEchoes(redis: RedisClient, prefix: string, system: SystemName, intents: readonly EchoIntent[], ttlMs = ECHO_INTENT_TTL_MS): Promise<void> {
  if (!intents.length) return;
  const p = redis.pipeline();
  const now = Date.now();
  for (const i of intents) {
    p.set(echoIntentKey(prefix, system, i.contactId), `${i.version}|${i.hash}`, 'PX', ttlMs);
    const recent = recentWritesKey(prefix, system, i.contactId);
    p.zadd(recent, now, i.hash);
    p.zremrangebyscore(recent, '-inf', now - ttlMs);
    p.pexpire(recent, ttlMs);
  }
  const results = (await p.exec()) ?? [];
  const failed = results.find(([err]) => err);
  if (failed) throw failed[0];
}

/**
 * Whether Kith wrote exactly this content to the system's copy of the contact in the last
 * ECHO_INTENT_TTL_MS. A webhook carrying such a record may be the late echo of an earlier write
 * (Kith has written newer content since, so neither the link nor the intent matches it any
 * more), stamped by the system with the time of that write: its record must not be taken as a
 * fresh edit.
 */
export async function wroteRecently(redis: RedisClient, prefix: string, system: SystemName, contactId: string, hash: string): Promise<boolean> {
  return (await redis.zscore(recentWritesKey(prefix, system, contactId), hash)) !== null;
}

/** An intent as stored (`<version>|<hash>`, the value at echoIntentKey) in the shape of a link's state; undefined for none. */
export function parseEchoIntent(v: string | null | undefined): LinkState | undefined {
  if (!v) return undefined;
  const bar = v.indexOf('|');
  const version = Number(v.slice(0, bar));
  return { lastHash: v.slice(bar + 1), lastVersion: Number.isFinite(version) ? version : null };
}
