import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/db.js';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import { resolvePerson } from '../../search/person-filter.js';
import { search } from '../../search/search.service.js';
import { parseSearchParams } from '../../search/search-params.js';
import { openVectorIndex, type VectorSetup, vectorState } from '../../search/vector-wiring.js';
import { basicAuthHook } from '../admin-auth.js';

export const SEARCH_PATH = '/api/search';

/**
 * GET /api/search?q=…&person=…&source=…&since=…&until=…&limit=…&mode=…: the same search as
 * `kith search --json`, behind the admin credentials when they are configured (always, when the
 * server listens beyond loopback). A bad parameter is a 400 naming it; an unknown person a 404.
 */
export async function registerSearchRoute(app: FastifyInstance, deps: { db: Db; admin?: { user: string; password: string } }): Promise<void> {
  // One embedding client for the server's life (its connections, its recent query vectors), opened on first use.
  let vectors: Promise<VectorSetup> | undefined;
  app.addHook('onClose', async () => {
    if (vectors) await (await vectors.catch(() => undefined))?.close();
  });
  await app.register(async (scope) => {
    if (deps.admin) scope.addHook('onRequest', basicAuthHook(deps.admin));
    scope.get(SEARCH_PATH, async (req, reply) => {
      try {
        const params = parseSearchParams(req.query as Record<string, unknown>);
        const person = params.person ? await resolvePerson(deps.db, params.person) : undefined;
        if (!vectors) {
          const opening = openVectorIndex(deps.db);
          vectors = opening;
          opening.catch(() => (vectors === opening ? (vectors = undefined) : undefined)); // a failed open is tried again next time
        }
        const r = await search(deps.db, { ...params, personId: person?.id }, (await vectors).vectors);
        return reply.send(r);
      } catch (e) {
        if (e instanceof NotFoundError) return reply.code(404).send({ error: e.message });
        if (e instanceof InvalidInputError) return reply.code(400).send({ error: e.message });
        throw e;
      }
    });
  });
}

/** The search section of /health: chunks indexed and whether vector search is on. */
export async function searchHealth(db: Db): Promise<Record<string, unknown>> {
  const row = await db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM search_chunks');
  return { search: { chunks: Number(row?.n ?? 0), ...(await vectorState(db)) } };
}
