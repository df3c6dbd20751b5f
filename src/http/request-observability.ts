// Per-request observability: a request id (the caller's X-Request-Id when it is a sane
// token, else a new UUID) echoed in the response, one JSON log line per answered request,
// and the request metrics. Fastify's own two lines per request are turned off in app.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpMetrics } from '../observability/metrics.js';

export const REQUEST_ID_HEADER = 'x-request-id';

// A proxy's or client's id is kept so one id follows the request through every hop; a value
// that could forge log lines or bloat them is replaced.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTABLE_REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** The route template ("/v1/{prefix}/namespaces/{namespace}") keeps metric labels bounded; unmatched URLs share one label. */
export function routeLabel(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

// Probes arrive every few seconds from every kubelet; at info level they would drown the log.
const PROBE_PREFIX = '/health/';

export function registerRequestObservability(app: FastifyInstance, metrics: HttpMetrics): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = routeLabel(request);
    const status = reply.statusCode;
    metrics.requestFinished(request.method, route, status, reply.elapsedTime / 1000);
    const line = {
      method: request.method,
      // The path only: query strings carry page tokens and filters, never needed to follow a request.
      path: request.url.split('?')[0],
      route,
      status,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      remoteAddress: request.ip,
    };
    // A failing readiness probe (503 while draining or while the database is away) is the
    // probe doing its job, not a failed request.
    if (route.startsWith(PROBE_PREFIX)) request.log.debug(line, 'probe');
    else if (status >= 500) request.log.warn(line, 'request failed');
    else request.log.info(line, 'request');
  });
}
