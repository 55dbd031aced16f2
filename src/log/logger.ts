import { destination, pino, type Logger } from 'pino';

export type { Logger };

/** Field paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-twenty-webhook-signature"]',
  'KITH_ADMIN_PASSWORD',
  'TWENTY_API_KEY',
  'SUPABASE_KEY',
  'SUPABASE_WEBHOOK_SECRET',
  'TWENTY_WEBHOOK_SECRET',
];

/** Replace the password part of a connection URL so it can be printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** Logs go to stderr so that `--json` output on stdout stays machine-readable. */
export function createLogger(level: string = process.env.KITH_LOG_LEVEL ?? 'info', name = 'kith'): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '***' } }, destination({ fd: 2, sync: false }));
}
