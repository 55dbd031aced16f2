import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { type Env, parseEnv, wholeNumber } from './parse-env.js';

export const httpSchema = z.object({
  KITH_HOST: z.string().default('127.0.0.1'),
  KITH_PORT: wholeNumber(0, 65535).default(3000),
  KITH_ADMIN_USER: z.string().optional(),
  KITH_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
});

export interface HttpConfig {
  host: string;
  port: number;
  admin?: { user: string; password: string };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

export function loadHttpConfig(env: Env = process.env): HttpConfig {
  const c = parseEnv(httpSchema, env, ['KITH_ADMIN_PASSWORD']);
  if (Boolean(c.KITH_ADMIN_USER) !== Boolean(c.KITH_ADMIN_PASSWORD)) {
    const missing = c.KITH_ADMIN_USER ? 'KITH_ADMIN_PASSWORD' : 'KITH_ADMIN_USER';
    throw new ConfigError(missing, 'must be set together with the other admin credential');
  }
  const admin = c.KITH_ADMIN_USER && c.KITH_ADMIN_PASSWORD ? { user: c.KITH_ADMIN_USER, password: c.KITH_ADMIN_PASSWORD } : undefined;
  if (!admin && !isLoopbackHost(c.KITH_HOST)) {
    throw new ConfigError('KITH_HOST', `is ${c.KITH_HOST}, not a loopback address: set KITH_ADMIN_USER and KITH_ADMIN_PASSWORD before exposing the admin routes`);
  }
  return { host: c.KITH_HOST, port: c.KITH_PORT, admin };
}
