// Idempotency-Key on mutations (the REST spec; Java clients 1.11+ send one on every mutation
// once /v1/config advertises `idempotency-key-lifetime`). Per principal and key:
//  - the first request claims the key, runs fenced (src/db/idempotency-fence.ts, a commit
//    step of src/http/request-commits.ts), and its
//    answer is kept, unless it is a 5xx (the spec: not final);
//  - a repeat of the same request gets that answer again (header `idempotent-replayed`),
//    waits while the first is still running (then 503 with Retry-After), runs again if
//    nothing of the first landed, and is told the outcome is unknown if the first landed and
//    its process stopped before answering;
//  - the same key with another request is a 422; a key that is no UUID a 400.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { operationIndex } from '../audit/audit-events.js';
import { fenceStep } from '../db/idempotency-fence.js';
import { CatalogError, badRequest, serviceUnavailable, unprocessable } from '../iceberg/errors.js';
import { IDEMPOTENCY_KEY, WITHOUT_KEYS, answerRepeat, requestFingerprint, type IdempotencyKeys } from '../idempotency/idempotency-keys.js';
import { loadOpenApiDocument } from './openapi-document.js';

interface RequestIdempotency {
  principal: string;
  key: string;
  attempt: string;
  /** Answered from the store, or its answer already kept: nothing (more) to keep. */
  replayed: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: RequestIdempotency | null;
  }
}

/** Headers of an answer worth replaying (the body's type, its version tag). */
const KEPT_HEADERS = ['content-type', 'etag', 'location'] as const;
const POLL_MS = 100;

export interface IdempotencyHookOptions {
  /** How long a repeat waits for a first attempt still running before its 503. */
  waitMs: number;
  /** The request deadline: an attempt older than this (and then some) answered or died. */
  requestTimeoutMs: number;
}

export function registerIdempotencyHook(app: FastifyInstance, keys: IdempotencyKeys, options: IdempotencyHookOptions): void {
  const operations = operationIndex(loadOpenApiDocument());
  const staleAfterMs = options.requestTimeoutMs + 10_000;
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (request, reply) => {
    const header = request.headers['idempotency-key'];
    // Mutations only: the requests that have commit steps (request-commits.ts).
    if (header === undefined || !request.commits) return;
    const route = request.routeOptions.url;
    const operation = route === undefined ? undefined : operations.get(`${request.method} ${route}`);
    if (operation === undefined || WITHOUT_KEYS.has(operation)) return;
    if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
      throw badRequest('Invalid Idempotency-Key: a UUID in its 36-character form (the spec asks for a UUIDv7)');
    }
    const principal = request.principal.name;
    const key = header.toLowerCase();
    const fingerprint = requestFingerprint({ method: request.method, route: route!, params: request.params, query: request.query, body: request.body });
    const attempt = randomUUID();
    const hold = () => {
      request.idempotency = { principal, key, attempt, replayed: false };
      // First of the request's commit steps: a fenced-out attempt writes nothing, not even its audit event.
      request.commits?.steps.unshift(fenceStep({ principal, key, attempt }));
    };
    const deadline = Date.now() + options.waitMs;
    // Each round either settles the request or waits POLL_MS; a key that expires or changes
    // hands meanwhile is looked at again.
    for (let round = 0; ; round++) {
      if (await keys.claim(principal, key, fingerprint, operation, attempt)) return hold();
      const row = await keys.find(principal, key);
      if (!row) continue;
      const answer = answerRepeat(row, fingerprint, Date.now(), staleAfterMs);
      switch (answer.kind) {
        case 'mismatch':
          throw unprocessable(`Idempotency-Key ${key} was used for another request (${row.operation}); use a new key for a new request`);
        case 'replay': {
          request.idempotency = { principal, key, attempt, replayed: true };
          const stored = await keys.answerOf(row);
          reply.code(stored.status).headers(stored.headers).header('idempotent-replayed', 'true');
          return reply.send(stored.body.length > 0 ? stored.body : undefined);
        }
        case 'take-over':
          if (await keys.takeOver(principal, key, row.attempt, attempt)) return hold();
          continue;
        case 'outcome-unknown':
          // The spec's answer for an outcome the server cannot tell (Java: CommitStateUnknownException).
          throw new CatalogError(
            500,
            'CommitStateUnknownException',
            `The first request with Idempotency-Key ${key} changed the catalog, but the process serving it stopped before its answer was kept: check the state (load the object) before acting again`,
          );
        case 'wait':
          if (Date.now() >= deadline) {
            throw serviceUnavailable(`The first request with Idempotency-Key ${key} is still running; retry with the same key`);
          }
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      if (round > 10_000) throw serviceUnavailable('Idempotency-Key could not be settled; retry');
    }
  });

  // Registered before the compression hook: it keeps the answer as the handler made it.
  app.addHook('onSend', async (request, reply, payload) => {
    const held = request.idempotency;
    if (!held || held.replayed) return payload;
    request.idempotency = { ...held, replayed: true };
    try {
      const body = payload === undefined || payload === null ? Buffer.alloc(0) : typeof payload === 'string' ? Buffer.from(payload) : Buffer.isBuffer(payload) ? payload : undefined;
      if (reply.statusCode >= 500 || body === undefined) {
        await keys.release(held.principal, held.key, held.attempt);
      } else {
        const headers: Record<string, string> = {};
        for (const name of KEPT_HEADERS) {
          const value = reply.getHeader(name);
          if (value !== undefined) headers[name] = String(value);
        }
        await keys.finish(held.principal, held.key, held.attempt, { status: reply.statusCode, headers, body });
      }
    } catch (error) {
      // The answer still goes out; a repeat then finds the key unfinished (docs/idempotency).
      request.log.warn({ err: error }, 'the answer of an idempotent request was not kept');
    }
    return payload;
  });
}
