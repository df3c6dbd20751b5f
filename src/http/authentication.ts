// Every request but the probes, the API documentation and the token endpoint carries a bearer
// token when authentication is on (spec: 401 NotAuthorizedException, with WWW-Authenticate).
// It is checked when the request arrives, before its body is read, so an unauthenticated
// client cannot make the catalog parse anything.
import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';
import { ANONYMOUS, NotAuthorizedError, type Principal } from '../auth/principal.js';
import { errorBody } from './error-handler.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling (ANONYMOUS when authentication is off). */
    principal: Principal;
  }
}

const OPEN_ROUTES = [/^\/health\//, /^\/docs(\/|$)/, /^\/v1\/oauth\/tokens$/];

export function registerAuthentication(app: FastifyInstance, authenticator: Authenticator): void {
  // Fastify refuses an object as a decorator's default (it would be shared): null, set per request.
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request, reply) => {
    request.principal = ANONYMOUS;
    if (request.is404 || !authenticator.required) return;
    const path = request.url.split('?')[0];
    if (OPEN_ROUTES.some((route) => route.test(path))) return;
    try {
      request.principal = await authenticator.authenticate(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof NotAuthorizedError)) throw error;
      reply.header('www-authenticate', error.challenge);
      return reply.code(401).send(errorBody(401, error.type, error.message));
    }
  });
}
