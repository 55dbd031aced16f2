import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/db.js';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import { promptFor } from '../../promotion/person-prompt.service.js';
import { basicAuthHook } from '../admin-auth.js';

const query = z.object({ recent: z.coerce.number().int().min(0).max(100).default(5) });

/**
 * GET /api/people/:id/prompt?recent=5 → { person_id, contact_id, prompt }: the LLM context of a
 * person (by person id, email or name) or a contact (by contact id or email), as `kith prompt`
 * prints it. Behind the admin credentials whenever they are configured (required off loopback).
 */
export async function registerPeoplePromptRoute(app: FastifyInstance, deps: { db: Db; admin?: { user: string; password: string } }): Promise<void> {
  await app.register(async (scope) => {
    if (deps.admin) scope.addHook('onRequest', basicAuthHook(deps.admin));
    scope.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/api/people/:id/prompt', async (req, reply) => {
      const q = query.safeParse(req.query);
      if (!q.success) return reply.code(400).send({ error: `recent: ${q.error.issues[0]!.message}` });
      try {
        return await promptFor(deps.db, req.params.id, { recent: q.data.recent });
      } catch (err) {
        if (err instanceof NotFoundError) return reply.code(404).send({ error: err.message });
        if (err instanceof InvalidInputError) return reply.code(400).send({ error: err.message });
        throw err;
      }
    });
  });
}
