// Checks on the decoded parts of every request, before any route runs, so that no route has to
// remember them: path parameters and query values must be acceptable text (no NUL, no lone
// surrogate: Postgres cannot store or compare them), and no query parameter may be given twice
// (which of two `purgeRequested` values would the client mean?). Bodies are checked as they are
// parsed (json-body.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../iceberg/errors.js';
import { requireAcceptableText } from './input-limits.js';
import { UndecodableValue, type ParsedQuery } from './query-string.js';

export function checkRequestParts(params: Record<string, unknown>, query: ParsedQuery): void {
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string') requireAcceptableText(value, `path parameter ${name}`);
  }
  for (const [name, value] of Object.entries(query)) {
    requireAcceptableText(name, 'query parameter name');
    if (Array.isArray(value)) throw badRequest(`Invalid query: parameter ${name} is given more than once`);
    if (value instanceof UndecodableValue) throw badRequest(`Invalid query parameter ${name}: not percent-encoded UTF-8`);
    requireAcceptableText(value, `query parameter ${name}`);
  }
}

export function registerRequestChecks(app: FastifyInstance): void {
  // onRequest: before the body is read, so a bad URL costs nothing more.
  app.addHook('onRequest', async (request: FastifyRequest) => {
    checkRequestParts((request.params ?? {}) as Record<string, unknown>, (request.query ?? {}) as ParsedQuery);
  });
}
