import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { Db } from '../db/db.js';
import { KithError } from '../errors.js';
import type { SystemName } from '../hub/domain/canonical-contact.js';
import { basicAuthHook } from '../http/admin-auth.js';
import {
  conflictResolveBody,
  graphQuery,
  parseParams,
  peopleQuery,
  personParams,
  reviewAcceptBody,
  runsQuery,
  timelineQuery,
} from './api-params.js';
import { contactTrail, type TrailStore } from './contact-trail.queries.js';
import { relationshipGraph } from './graph.queries.js';
import { peoplePage, personMonthly, personPage, personTimeline } from './people-page.queries.js';
import { acceptReview, openReviews, resolveConflict } from './review-actions.service.js';
import { hubOverview, listRuns, runDetail, sourcesFreshness } from './sync-page.queries.js';
import { ensureWebBundle } from './web-bundle.js';

export interface WebDeps {
  db: Db;
  systems: { canonical: SystemName; targets: readonly SystemName[] };
  /** The canonical store whose history the contact trail shows (default: the local database's). */
  canonical?: () => Promise<TrailStore>;
  /** When set, every page and /api route asks for these (HTTP Basic); without, loopback only (see loadHttpConfig). */
  admin?: { user: string; password: string };
}

/** Pages served by the one-page app (its router reads the path). */
const PAGES = ['/', '/people', '/people/:id', '/graph', '/sync', '/sync/runs/:id'];

const STATUS: Partial<Record<KithError['kind'], number>> = { invalid_input: 400, not_found: 404, temporary: 409 };

function sendError(err: FastifyError | Error, reply: FastifyReply) {
  if (err instanceof KithError) {
    const status = STATUS[err.kind] ?? 500;
    return reply.code(status).send({ error: err.message, ...(err.kind === 'invalid_input' && err.code ? { parameter: err.code } : {}) });
  }
  const status = (err as FastifyError).statusCode;
  if (status && status < 500) return reply.code(status).send({ error: err.message });
  reply.log.error({ err }, 'web API failed');
  return reply.code(500).send({ error: 'internal error' });
}

/** The web view: JSON under /api and the bundled front end at /, in one scope behind the admin credentials when configured. */
export function webRoutes(deps: WebDeps) {
  return async (app: FastifyInstance) => {
    const dist = await ensureWebBundle();
    await app.register(async (scope) => {
      if (deps.admin) scope.addHook('onRequest', basicAuthHook(deps.admin));
      scope.setErrorHandler((err: FastifyError, _req, reply) => sendError(err, reply));
      const { db } = deps;

      scope.get('/api/people', async (req) => peoplePage(db, parseParams(peopleQuery, req.query)));
      scope.get('/api/people/:id', async (req) => personPage(db, parseParams(personParams, req.params).id));
      scope.get('/api/people/:id/timeline', async (req) => {
        const q = parseParams(timelineQuery, req.query);
        return personTimeline(db, parseParams(personParams, req.params).id, { before: q.before, beforeId: q.before_id, limit: q.limit });
      });
      scope.get('/api/people/:id/monthly', async (req) => personMonthly(db, parseParams(personParams, req.params).id));
      scope.get('/api/people/:id/contact-trail', async (req) => contactTrail(db, parseParams(personParams, req.params).id, deps.systems, await deps.canonical?.()));
      scope.get('/api/graph', async (req) => {
        const q = parseParams(graphQuery, req.query);
        return relationshipGraph(db, { minStrength: q.min_strength, channel: q.channel, limit: q.limit });
      });
      scope.get('/api/sync/runs', async (req) => listRuns(db, parseParams(runsQuery, req.query).limit));
      scope.get('/api/sync/runs/:id', async (req) => runDetail(db, parseParams(personParams, req.params).id));
      scope.get('/api/sync/sources', async () => sourcesFreshness(db));
      scope.get('/api/hub', async () => hubOverview(db, deps.systems));
      scope.get('/api/reviews', async () => ({ reviews: await openReviews(db) }));
      scope.post('/api/reviews/:id/accept', async (req) => {
        const body = parseParams(reviewAcceptBody, req.body);
        return acceptReview(db, parseParams(personParams, req.params).id, body.keep);
      });
      scope.post('/api/conflicts/:id/resolve', async (req) => {
        const body = parseParams(conflictResolveBody, req.body);
        return resolveConflict(db, parseParams(personParams, req.params).id, body.take);
      });
      scope.all('/api/*', async (_req, reply) => reply.code(404).send({ error: 'no such API route' }));

      await scope.register(fastifyStatic, { root: dist, prefix: '/assets/', index: false, wildcard: true });
      for (const p of PAGES) scope.get(p, async (_req, reply) => reply.header('Cache-Control', 'no-cache').sendFile('index.html', dist));
    });
  };
}
