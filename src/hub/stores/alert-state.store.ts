import type { RedisClient } from '../../redis/connection.js';

/**
 * The de-duplication state of alerts, per kind + subject: how many times the condition occurred,
 * when it began, when an alert was last sent and how many occurrences were held back since.
 * Kept in Redis, every process of a deployment shares it, so the deployment sends one alert
 * where each worker process used to send its own.
 */
export interface AlertStateStore {
  /** One occurrence at `now` of the condition `key` (kind:subject): whether to send an alert, and what it stands for. */
  occur(key: string, now: number, rule: AlertRule): Promise<Occurrence>;
  /** The condition cleared: its state is dropped; what it was when an alert had been sent for it. */
  clear(key: string): Promise<Cleared | undefined>;
}

export interface AlertRule {
  /** Occurrences before the first alert is sent (1: at once). */
  threshold: number;
  /** A repeat is sent again (as a reminder) once this long has passed since the last alert sent. */
  remindEveryMs: number;
}

export type Occurrence =
  | { send: false }
  /** `reminder`: an alert was sent for this condition before. `repeats`: occurrences since then (or since it began), this one included. */
  | { send: true; reminder: boolean; repeats: number; since: number; lastSentAt?: number };

export interface Cleared {
  /** Occurrences since the condition began. */
  total: number;
  since: number;
}

/** The state outlives its last occurrence this long, then a new occurrence starts afresh. */
const STATE_TTL_MS = 7 * 24 * 3_600_000;

/** One alert's state (`key`: kind:subject), kept in a hash: total, began, sent (last alert's time), held (occurrences since). */
export const alertStateKey = (prefix: string, key: string) => `${prefix}:hub:alert:${key}`;

/** In one process only: for a hub without Redis, and while Redis does not answer. */
export class MemoryAlertState implements AlertStateStore {
  private readonly states = new Map<string, { total: number; began: number; sent?: number; held: number }>();

  async occur(key: string, now: number, rule: AlertRule): Promise<Occurrence> {
    const s = this.states.get(key) ?? { total: 0, began: now, held: 0 };
    this.states.set(key, s);
    s.total++;
    if (s.total < rule.threshold) return { send: false };
    if (s.sent !== undefined && now - s.sent < rule.remindEveryMs) {
      s.held++;
      return { send: false };
    }
    const out: Occurrence = s.sent === undefined ? { send: true, reminder: false, repeats: s.total, since: s.began } : { send: true, reminder: true, repeats: s.held + 1, since: s.began, lastSentAt: s.sent };
    s.sent = now;
    s.held = 0;
    return out;
  }

  async clear(key: string): Promise<Cleared | undefined> {
    const s = this.states.get(key);
    this.states.delete(key);
    return s?.sent !== undefined ? { total: s.total, since: s.began } : undefined;
  }
}

// The same rules as MemoryAlertState, as one script per call: atomic across processes.
const OCCUR = `
local k = KEYS[1]
local now = tonumber(ARGV[1])
local total = redis.call('HINCRBY', k, 'total', 1)
if total == 1 then redis.call('HSET', k, 'began', ARGV[1]) end
redis.call('PEXPIRE', k, ARGV[4])
if total < tonumber(ARGV[2]) then return {0} end
local began = tonumber(redis.call('HGET', k, 'began') or ARGV[1])
local sent = redis.call('HGET', k, 'sent')
if sent and now - tonumber(sent) < tonumber(ARGV[3]) then
  redis.call('HINCRBY', k, 'held', 1)
  return {0}
end
local held = tonumber(redis.call('HGET', k, 'held') or '0')
redis.call('HSET', k, 'sent', ARGV[1], 'held', 0)
if sent then return {1, 1, held + 1, began, tonumber(sent)} end
return {1, 0, total, began, 0}
`;

const CLEAR = `
local v = redis.call('HMGET', KEYS[1], 'sent', 'total', 'began')
redis.call('DEL', KEYS[1])
if not v[1] then return false end
return {tonumber(v[2]), tonumber(v[3])}
`;

type ScriptedRedis = RedisClient & {
  kithAlertOccur(key: string, now: number, threshold: number, remindEveryMs: number, ttlMs: number): Promise<number[]>;
  kithAlertClear(key: string): Promise<number[] | null>;
};

/** How long an alert waits for Redis before it decides in this process alone. */
const REDIS_WAIT_MS = 2_000;

/**
 * Shared by every process on one Redis (keys under the deployment's prefix, so in its hash slot).
 * When Redis does not answer within 2 s the decision is made in this process (MemoryAlertState):
 * an alert is never lost or delayed for an outage of the store that de-duplicates it.
 */
export class RedisAlertState implements AlertStateStore {
  private readonly local = new MemoryAlertState();

  constructor(
    private readonly redis: () => RedisClient,
    private readonly prefix: string,
  ) {}

  private client(): ScriptedRedis {
    const r = this.redis() as ScriptedRedis;
    if (typeof r.kithAlertOccur !== 'function') {
      r.defineCommand('kithAlertOccur', { numberOfKeys: 1, lua: OCCUR });
      r.defineCommand('kithAlertClear', { numberOfKeys: 1, lua: CLEAR });
    }
    return r;
  }

  async occur(key: string, now: number, rule: AlertRule): Promise<Occurrence> {
    const r = await bounded(() => this.client().kithAlertOccur(alertStateKey(this.prefix, key), now, rule.threshold, rule.remindEveryMs, STATE_TTL_MS));
    if (r === undefined) return this.local.occur(key, now, rule);
    if (!r[0]) return { send: false };
    return { send: true, reminder: r[1] === 1, repeats: r[2]!, since: r[3]!, ...(r[1] === 1 ? { lastSentAt: r[4]! } : {}) };
  }

  async clear(key: string): Promise<Cleared | undefined> {
    const fromLocal = await this.local.clear(key);
    const r = await bounded(() => this.client().kithAlertClear(alertStateKey(this.prefix, key)));
    return r ? { total: r[0]!, since: r[1]! } : fromLocal;
  }
}

/** The call's result, or undefined when it fails or takes longer than REDIS_WAIT_MS. */
async function bounded<T>(call: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const p = call();
    p.catch(() => undefined); // settles after the timeout: not unhandled
    return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), REDIS_WAIT_MS)))]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
