// Every mutating request runs its handler with commit steps (src/db/commit-steps.ts): work
// that must be in each transaction the request commits (its audit event, its idempotency
// fence). Hooks add their steps before the handler runs.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { runWithCommitSteps, type RequestCommits } from '../db/commit-steps.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Null for reads. */
    commits: RequestCommits | null;
  }
}

const MUTATIONS = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

/** Register before the hooks that add steps (audit, idempotency) and before any route. */
export function registerRequestCommits(app: FastifyInstance): void {
  app.decorateRequest('commits', null);
  app.addHook('onRequest', async (request) => {
    if (MUTATIONS.has(request.method)) request.commits = { steps: [], open: true };
  });
  app.addHook('onRoute', (route) => {
    const handler = route.handler as RouteHandlerMethod;
    route.handler = function withCommitSteps(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const commits = request.commits;
      return commits ? runWithCommitSteps(commits, () => handler.call(this, request, reply)) : handler.call(this, request, reply);
    } as RouteHandlerMethod;
  });
  // A final answer ends the request's hold on what it started: a collection run left going is
  // the collector's. A 5xx does not: its handler may still be at work (a deadline passed).
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.commits && reply.statusCode < 500) request.commits.open = false;
    return payload;
  });
}
