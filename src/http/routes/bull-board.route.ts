import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { basicAuthHook } from '../admin-auth.js';

export const BULL_BOARD_PATH = '/admin/queues';

/** Bull Board for every queue, behind basic auth when admin credentials are configured. */
export async function registerBullBoard(app: FastifyInstance, deps: { queues: readonly Queue[]; admin?: { user: string; password: string } }) {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: deps.queues.map((q) => new BullMQAdapter(q)), serverAdapter, options: { uiConfig: { boardTitle: 'Kith queues' } } });
  await app.register(async (scope) => {
    if (deps.admin) scope.addHook('onRequest', basicAuthHook(deps.admin));
    await scope.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
  });
}
