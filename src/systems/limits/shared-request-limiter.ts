import { randomBytes } from 'node:crypto';
import { TemporaryError } from '../../errors.js';
import type { RedisClient } from '../../redis/connection.js';
import { type Limiter, PAUSE_WAIT_MS, type RequestLimiterOptions, pausedError } from './request-limiter.js';

/**
 * A slot is a member of one sorted set whose score is the time (Redis's clock, so every host
 * agrees) at which the slot frees. Taking one drops the expired ones, then adds a slot held for
 * `hold` ms (the longest a request can take, plus the window) when fewer than `limit` remain;
 * otherwise it answers how long until the first one frees. A pause (a 429's Retry-After) is a
 * key of its own that holds every taker back until it expires: the script answers its time left
 * as a negative number, so the taker can tell a pause from a full window.
 */
const ACQUIRE = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return -paused end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local cost = tonumber(ARGV[4])
local held = redis.call('ZCARD', KEYS[1])
if held + cost <= tonumber(ARGV[1]) then
  for i = 1, cost do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3] .. '.' .. i) end
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 1000)
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], held + cost - tonumber(ARGV[1]) - 1, held + cost - tonumber(ARGV[1]) - 1, 'WITHSCORES')
return math.max(1, tonumber(first[2]) - now)
`;

/** The response is in: the request's slots free one window from now (only those still held). */
const RELEASE = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, tonumber(ARGV[3]) do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[2] .. '.' .. i) end
return 0
`;

/** Lengthen the pause to `ms` from now, never shorten it. */
const PAUSE = `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[1])) end
return 0
`;

export interface SharedRequestLimiterOptions extends RequestLimiterOptions {
  /** The Redis connection (a getter: the hub opens its connection on first use). */
  redis: () => RedisClient;
  /** Key of the sorted set; the pause key is `<key>:pause`. Must carry the deployment's hash tag. */
  key: string;
  /** The longest a request can take: a process that dies mid-request frees its slot after this plus the window. */
  requestTimeoutMs: number;
  /** Longest sleep between two looks while the window is full (a slot released elsewhere frees early). */
  pollMs?: number;
  /** Longest pause (a 429's Retry-After) a request waits out; a longer one throws RateLimitedError (default 1 s). */
  pauseWaitMs?: number;
  /**
   * When a slot's window starts: `response` (default) — a window after the response, the safe
   * reading for a provider that counts requests in flight or by their completion; `send` — a
   * window (plus `sendMarginMs`) after the request was sent, for a provider that counts requests
   * by their arrival (Notion's requests a second): a run of dependent requests (a cursor's pages)
   * then keeps the full rate instead of losing a round trip every `limit` requests.
   */
  holdFrom?: 'response' | 'send';
  /** With `holdFrom: 'send'`: added to the window, for the spread of request latencies (default 50 ms). */
  sendMarginMs?: number;
}

/**
 * The same sliding window as `RequestLimiter`, kept in Redis so that every process of a
 * deployment, on every host, spends one budget: Twenty's 100 requests a minute hold for the
 * deployment, not per worker process. A slot is held from the moment a request is sent until
 * `windowMs` after its response (or after its send: `holdFrom`); within one process, waiters are served first come, first served.
 * A request that finds the budget paused for longer than a moment (`pauseWaitMs`) is not held
 * back: it throws RateLimitedError with the pause's time left, so a job releases its worker and
 * its lock (the worker host pauses the queue) instead of sleeping out the Retry-After.
 */
export class SharedRequestLimiter implements Limiter {
  private turn: Promise<void> = Promise.resolve();
  private readonly pollMs: number;
  private readonly pauseWaitMs: number;

  constructor(readonly options: SharedRequestLimiterOptions) {
    if (!(options.limit >= 1) || !(options.windowMs > 0)) throw new RangeError('limiter needs limit >= 1 and windowMs > 0');
    this.pollMs = options.pollMs ?? Math.max(20, Math.min(1000, Math.floor(options.windowMs / 20)));
    this.pauseWaitMs = options.pauseWaitMs ?? PAUSE_WAIT_MS;
  }

  /**
   * `cost`: the units the request spends of the budget (Gmail's quota units: a message read 5, a
   * history page 2); it holds that many slots. A cost above the limit can never be served.
   */
  async acquire(cost = 1): Promise<() => void> {
    if (!Number.isInteger(cost) || cost < 1 || cost > this.options.limit) throw new RangeError(`request cost must be a whole number from 1 to ${this.options.limit} (got ${cost})`);
    const mine = this.turn.then(() => this.take(cost));
    this.turn = mine.then(
      () => undefined,
      () => undefined,
    );
    const token = await mine;
    let released = this.options.holdFrom === 'send'; // the slot frees by itself, a window after the send
    return () => {
      if (released) return;
      released = true;
      void this.call(RELEASE, [this.options.key], [this.options.windowMs, token, cost]).catch(() => undefined); // the hold then frees it
    };
  }

  pauseFor(ms: number): void {
    void this.call(PAUSE, [`${this.options.key}:pause`], [Math.ceil(ms)]).catch(() => undefined);
  }

  private async take(cost: number): Promise<string> {
    const token = `${process.pid}.${randomBytes(6).toString('hex')}`;
    const hold = this.options.holdFrom === 'send' ? this.options.windowMs + (this.options.sendMarginMs ?? 50) : this.options.requestTimeoutMs + this.options.windowMs;
    for (;;) {
      const wait = Number(await this.call(ACQUIRE, [this.options.key, `${this.options.key}:pause`], [this.options.limit, hold, token, cost]));
      if (wait === 0) return token;
      if (wait < 0 && -wait > this.pauseWaitMs) throw pausedError(-wait, this.options.service);
      await new Promise((r) => setTimeout(r, Math.min(Math.abs(wait), this.pollMs)));
    }
  }

  private async call(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.options.redis().eval(script, keys.length, ...keys, ...args);
    } catch (err) {
      throw new TemporaryError(`${this.options.service ?? 'request'} limiter: Redis did not answer (${(err as Error).message})`, 'limiter_unavailable', { cause: err });
    }
  }
}
