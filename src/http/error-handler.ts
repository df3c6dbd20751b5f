// One renderer for every error: the Iceberg error model {"error": {message, type, code}}.
// Client mistakes keep their 4xx; an unreachable database is a 503 the client may retry;
// anything else is a 500 whose body names only an error id that the log line carries too.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, isReferenceToCollectedFile } from '../db/postgres-errors.js';
import { CatalogError } from '../iceberg/errors.js';
import { UnsupportedLocationError } from '../storage/object-store.js';

export function errorBody(status: number, type: string, message: string) {
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
  413: 'BadRequestException',
  415: 'BadRequestException',
  422: 'UnprocessableEntityException',
  503: 'ServiceUnavailableException',
};

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof CatalogError) {
      if (error.status === 503) {
        request.log.warn({ err: error }, 'service unavailable');
        reply.header('retry-after', '1');
      }
      return reply.code(error.status).send(errorBody(error.status, error.type, error.message));
    }
    if (error instanceof UnsupportedLocationError) {
      return reply.code(400).send(errorBody(400, 'BadRequestException', error.message));
    }
    if (isReferenceToCollectedFile(error)) {
      // The collector deleted (or is deleting) a file this commit names: the table moved on
      // since the client read it. Refreshing gives it metadata that no longer names the file.
      return reply.code(409).send(errorBody(409, 'CommitFailedException', `Commit refused: ${error.message}`));
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'catalog database unavailable');
      reply.header('retry-after', '1');
      return reply
        .code(503)
        .send(errorBody(503, 'ServiceUnavailableException', 'The catalog database is unavailable; retry shortly'));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send(errorBody(status, TYPE_BY_STATUS[status] ?? 'BadRequestException', error.message));
    }
    request.log.error({ err: error, errorId: request.id }, 'unexpected error');
    return reply
      .code(500)
      .send(errorBody(500, 'InternalServerError', `Internal server error (error id ${request.id})`));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody(404, 'NotFoundException', `No route for ${request.method} ${request.url.split('?')[0]}`));
  });
}
