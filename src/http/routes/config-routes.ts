// GET /v1/config (spec: getConfig). Clients learn the prefix and, from `endpoints`, which
// routes exist: the Java client turns features off for routes that are not listed.
import type { FastifyInstance } from 'fastify';
import type { AppDependencies } from '../../app.js';
import { isoDuration } from '../../idempotency/idempotency-keys.js';
import { storageConfigFor } from '../storage-config.js';

export const SERVED_ENDPOINTS = [
  'GET /v1/{prefix}/namespaces',
  'POST /v1/{prefix}/namespaces',
  'GET /v1/{prefix}/namespaces/{namespace}',
  'HEAD /v1/{prefix}/namespaces/{namespace}',
  'DELETE /v1/{prefix}/namespaces/{namespace}',
  'POST /v1/{prefix}/namespaces/{namespace}/properties',
  'GET /v1/{prefix}/namespaces/{namespace}/tables',
  'POST /v1/{prefix}/namespaces/{namespace}/tables',
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'POST /v1/{prefix}/namespaces/{namespace}/register',
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics',
  'POST /v1/{prefix}/tables/rename',
  'POST /v1/{prefix}/transactions/commit',
  'GET /v1/{prefix}/namespaces/{namespace}/views',
  'POST /v1/{prefix}/namespaces/{namespace}/views',
  'GET /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'POST /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'POST /v1/{prefix}/views/rename',
  'POST /v1/{prefix}/namespaces/{namespace}/register-view',
] as const;

export function registerConfigRoutes(app: FastifyInstance, deps: AppDependencies): void {
  app.get<{ Querystring: { warehouse?: string } }>('/v1/config', async (request) => {
    // Any authenticated principal: engines read this before anything else, and warehouses
    // are not secret (their contents are: docs/security.md).
    const warehouse = await deps.warehouses.forConfig(request.query.warehouse);
    // The same settings every table answer carries (storage-config.ts).
    const defaults = storageConfigFor(warehouse.location, deps.config.s3);
    return {
      defaults,
      overrides: { prefix: warehouse.name },
      // The token endpoint only when the catalog issues tokens itself (with an external IdP
      // clients must get theirs there).
      endpoints: [
        ...SERVED_ENDPOINTS,
        ...(deps.config.auth.mode === 'catalog' ? ['POST /v1/oauth/tokens'] : []),
        // Java's S3FileIO renews vended credentials here only when it is listed.
        ...(deps.config.vending ? ['GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/credentials'] : []),
        ...(deps.config.remoteSigning ? ['POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/sign'] : []),
      ],
      // Java clients (1.11+) then send an Idempotency-Key on every mutation (idempotency-hook.ts).
      ...(deps.config.idempotencyKeyLifetimeMs > 0 ? { 'idempotency-key-lifetime': isoDuration(deps.config.idempotencyKeyLifetimeMs) } : {}),
    };
  });
}
