// A budget for the request bodies the process holds at once. Parsing a JSON body takes many
// times its size in heap (docs/benchmarks.md, "Request memory": up to ~25x for bodies made of
// tiny values), so a few large bodies at once could exhaust the heap however small the
// per-request limit. A body larger than SMALL_BODY_BYTES reserves its declared length (or the
// body limit, when it is sent chunked) until the answer has gone; when the budget is spent the
// request is answered 503 with Retry-After at once, before its body is read. Small bodies (every
// commit an engine sends) and bodyless requests never wait for it, so ordinary traffic goes on.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { serviceUnavailable } from '../iceberg/errors.js';

export const SMALL_BODY_BYTES = 64 * 1024;

export class BodyBudget {
  private used = 0;

  constructor(readonly limitBytes: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Reserves `bytes`, or returns false when that would pass the limit (one body alone always fits). */
  tryReserve(bytes: number): boolean {
    if (this.used > 0 && this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

export function registerBodyBudget(app: FastifyInstance, budget: BodyBudget, bodyLimitBytes: number): void {
  const reserved = new WeakMap<FastifyRequest, number>();
  const release = async (request: FastifyRequest) => {
    const bytes = reserved.get(request);
    if (bytes === undefined) return;
    reserved.delete(request);
    budget.release(bytes);
  };
  app.addHook('preParsing', async (request, _reply, payload) => {
    const declared = Number(request.headers['content-length']);
    const chunked = request.headers['transfer-encoding'] !== undefined;
    const bytes = chunked ? bodyLimitBytes : Number.isFinite(declared) ? Math.min(declared, bodyLimitBytes) : 0;
    if (bytes <= SMALL_BODY_BYTES) return payload;
    if (!budget.tryReserve(bytes)) {
      throw serviceUnavailable('The catalog is holding as many large request bodies as it can; retry shortly');
    }
    reserved.set(request, bytes);
    return payload;
  });
  app.addHook('onResponse', release);
  app.addHook('onRequestAbort', release);
}
