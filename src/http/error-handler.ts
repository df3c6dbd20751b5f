// One renderer for every error: the Iceberg error model {"error": {message, type, code}}.
// Client mistakes keep their 4xx; an unreachable database or a request past its deadline is
// a 503 the client may retry; anything else is a 500. Every 5xx body names the request id,
// which the response header and the log lines carry too, so a report can be traced.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FencedOut } from '../db/idempotency-fence.js';
import { isDatabaseUnavailable, isReferenceToCollectedFile, isValueTooLarge } from '../db/postgres-errors.js';
import { CatalogError } from '../iceberg/errors.js';
import type { HttpMetrics } from '../observability/metrics.js';
import { UnsupportedLocationError } from '../storage/object-store.js';
import type { RouteMethods } from './method-not-allowed.js';
import { routeLabel } from './request-observability.js';

export function errorBody(status: number, type: string, message: string, requestId?: string) {
  if (status >= 500 && requestId) {
    return { error: { message: `${message} (request id ${requestId})`, type, code: status, 'request-id': requestId } };
  }
  return { error: { message, type, code: status } };
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'BadRequestException',
  401: 'NotAuthorizedException',
  403: 'ForbiddenException',
  404: 'NotFoundException',
  405: 'MethodNotAllowedException',
  406: 'UnsupportedOperationException',
  409: 'ConflictException',
  413: 'RequestTooLargeException',
  414: 'RequestTooLargeException',
  415: 'UnsupportedMediaTypeException',
  422: 'UnprocessableEntityException',
  503: 'ServiceUnavailableException',
};

/**
 * Errors the router meets before any route or hook runs (Fastify's `frameworkErrors`): a path
 * that is not percent-encoded UTF-8 (400), a path parameter past the router's limit (414).
 */
export function renderFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return reply.code(414).send(errorBody(414, TYPE_BY_STATUS[414], 'Request path too long: a path parameter is longer than the catalog accepts'));
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    return reply.code(400).send(errorBody(400, 'BadRequestException', 'Invalid request path: not percent-encoded UTF-8'));
  }
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  return reply.code(status).send(errorBody(status, TYPE_BY_STATUS[status] ?? 'BadRequestException', error.message));
}

export function registerErrorHandling(app: FastifyInstance, metrics: Pick<HttpMetrics, 'commitConflict'>, routes: RouteMethods): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof CatalogError) {
      if (error.status === 503) {
        request.log.warn({ err: error }, 'service unavailable');
        reply.header('retry-after', '1');
      }
      if (error.type === 'CommitFailedException') metrics.commitConflict(routeLabel(request));
      return reply.code(error.status).send(errorBody(error.status, error.type, error.message, request.id));
    }
    if (error instanceof FencedOut) {
      reply.header('retry-after', '1');
      return reply.code(503).send(errorBody(503, 'ServiceUnavailableException', error.message, request.id));
    }
    if (error instanceof UnsupportedLocationError) {
      return reply.code(400).send(errorBody(400, 'BadRequestException', error.message));
    }
    if (isReferenceToCollectedFile(error)) {
      // The collector deleted (or is deleting) a file this commit names: the table moved on
      // since the client read it. Refreshing gives it metadata that no longer names the file.
      metrics.commitConflict(routeLabel(request));
      return reply.code(409).send(errorBody(409, 'CommitFailedException', `Commit refused: ${error.message}`));
    }
    if (isValueTooLarge(error)) {
      return reply.code(400).send(errorBody(400, 'BadRequestException', 'A value in the request is too large for the catalog to store'));
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'catalog database unavailable');
      reply.header('retry-after', '1');
      return reply
        .code(503)
        .send(errorBody(503, 'ServiceUnavailableException', 'The catalog database is unavailable; retry shortly', request.id));
    }
    if (error.code === 'FST_ERR_HANDLER_TIMEOUT') {
      // The work may still finish after this answer: for a commit, a 503 tells Iceberg clients
      // the outcome is unknown, and they check the table before trying again.
      request.log.warn({ route: routeLabel(request) }, 'request deadline passed');
      return reply
        .code(503)
        .send(errorBody(503, 'ServiceUnavailableException', 'The request took longer than the catalog allows; retry', request.id));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const given = request.headers['content-type'] ?? 'none';
      return reply.code(415).send(errorBody(415, TYPE_BY_STATUS[415], `Unsupported content type ${given}: request bodies must be application/json`));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send(errorBody(status, TYPE_BY_STATUS[status] ?? 'BadRequestException', error.message));
    }
    request.log.error({ err: error, errorId: request.id }, 'unexpected error');
    return reply
      .code(500)
      .send(errorBody(500, 'InternalServerError', 'Internal server error', request.id));
  });

  app.setNotFoundHandler((request, reply) => answerUnmatched(request, reply, routes));
  // Unmatched requests are answered before their body is read (a method the router does not
  // know, such as QUERY, would otherwise fail on its missing content type first).
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return answerUnmatched(request, reply, routes);
  });
}

/** 405 with Allow when the path has routes for other methods, else 404. */
function answerUnmatched(request: FastifyRequest, reply: FastifyReply, routes: RouteMethods) {
  const path = request.url.split('?')[0];
  const allowed = routes.allowed(path);
  if (allowed.length > 0) {
    reply.header('allow', allowed.join(', '));
    return reply
      .code(405)
      .send(errorBody(405, 'MethodNotAllowedException', `Method ${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`));
  }
  return reply.code(404).send(errorBody(404, 'NotFoundException', `No route for ${request.method} ${path}`));
}
