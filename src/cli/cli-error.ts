import { ConfigError } from '../config/config-error.js';
import { RedisNotInstalledError } from '../redis/embedded-redis.js';

/** An error meant for the person at the terminal: printed as one line, exit code given. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** One line on stderr, no stack trace (set KITH_DEBUG=1 for one). Returns the exit code. */
export function reportCliError(err: unknown): number {
  const e = err as Error;
  if (process.env.KITH_DEBUG) console.error(e?.stack ?? e);
  if (err instanceof ConfigError) {
    console.error(`kith: configuration error: ${e.message}`);
    return 1;
  }
  if (err instanceof CliError) {
    console.error(`kith: ${e.message}`);
    return err.exitCode;
  }
  if (err instanceof RedisNotInstalledError) {
    console.error(`kith: ${e.message}`);
    return 1;
  }
  console.error(`kith: ${e?.message ?? String(err)}`);
  return 1;
}
