import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Compare secrets in constant time (hash first so lengths never leak through timing). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** A fastify onRequest hook enforcing HTTP Basic auth with the configured admin credentials. */
export function basicAuthHook(admin: { user: string; password: string }) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const given = parseBasicAuth(req.headers.authorization);
    // Evaluate both comparisons always: no early exit that would reveal which part was wrong.
    const userOk = safeEqual(given?.user ?? '', admin.user);
    const passOk = safeEqual(given?.password ?? '', admin.password);
    if (!given || !(userOk && passOk)) {
      return reply.code(401).header('WWW-Authenticate', 'Basic realm="kith admin", charset="UTF-8"').send({ error: 'authentication required' });
    }
  };
}
