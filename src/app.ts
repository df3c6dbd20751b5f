// buildApp(deps): the Fastify application with every route, no side effects at import and
// nothing listening. main.ts wires real dependencies; tests wire their own.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Administrators } from './auth/administrators.js';
import type { AuditLog } from './audit/audit-log.js';
import type { PostgresAuthorizer } from './authz/authorizer.js';
import type { GrantService } from './authz/grant-service.js';
import type { AccessChecks } from './http/access-checks.js';
import type { Authenticator } from './auth/authenticator.js';
import type { ClientRegistry } from './auth/client-registry.js';
import type { TokenGrants } from './auth/token-grants.js';
import type { DroppedTables } from './catalog/dropped-tables.js';
import type { NamespaceService } from './catalog/namespace-service.js';
import type { CloneRegistry } from './clones/clone-registry.js';
import type { CloneService } from './clones/clone-service.js';
import type { PendingMetadataWriter } from './clones/pending-metadata.js';
import type { NamespacePoints } from './clones/namespace-points.js';
import type { TableSwap } from './clones/table-swap.js';
import type { GarbageCollector } from './gc/collector.js';
import type { GcSettings } from './gc/gc-settings.js';
import type { GcRunLog } from './gc/run-log.js';
import type { SnapshotExpiry } from './gc/snapshot-expiry.js';
import type { StorageReport } from './gc/storage-report.js';
import type { CatalogMetrics } from './observability/metrics.js';
import type { TableService } from './catalog/table-service.js';
import type { ViewService } from './catalog/view-service.js';
import type { Config } from './config.js';
import type { BodyValidator } from './http/body-validation.js';
import { BodyBudget, registerBodyBudget } from './http/body-budget.js';
import { registerAuditHook } from './http/audit-hook.js';
import { registerRequestCommits } from './http/request-commits.js';
import { registerAuthentication } from './http/authentication.js';
import { registerErrorHandling, renderFrameworkError } from './http/error-handler.js';
import { ROUTER_MAX_PARAM_LENGTH } from './http/input-limits.js';
import { collectRouteMethods } from './http/method-not-allowed.js';
import { parseQueryString } from './http/query-string.js';
import { registerRequestChecks } from './http/request-checks.js';
import { registerRequestObservability, requestIdOf } from './http/request-observability.js';
import { registerJsonBodyParser } from './http/json-body.js';
import { loadOpenApiDocument } from './http/openapi-document.js';
import { registerAuthRoutes } from './http/routes/auth-routes.js';
import { registerGrantRoutes } from './http/routes/grant-routes.js';
import { registerAuditRoutes } from './http/routes/audit-routes.js';
import { registerGcRoutes } from './http/routes/gc-routes.js';
import { registerTokenRoutes } from './http/routes/token-routes.js';
import { registerCloneRoutes } from './http/routes/clone-routes.js';
import { registerCompression } from './http/compression.js';
import { registerIdempotencyHook } from './http/idempotency-hook.js';
import type { IdempotencyKeys } from './idempotency/idempotency-keys.js';
import type { Vendor } from './storage/credential-vendor.js';
import { registerConfigRoutes } from './http/routes/config-routes.js';
import { registerRetentionRoutes } from './http/routes/retention-routes.js';
import { registerHealthRoutes, type HealthChecks } from './http/routes/health-routes.js';
import { registerNamespaceRoutes } from './http/routes/namespace-routes.js';
import { registerTableRoutes } from './http/routes/table-routes.js';
import { registerSignRoutes } from './http/routes/sign-routes.js';
import type { RequestSigner } from './storage/request-signer.js';
import { registerViewRoutes } from './http/routes/view-routes.js';
import type { WarehouseResolver } from './http/warehouse-resolver.js';

export interface AppDependencies {
  config: Pick<Config, 's3' | 'bodyLimitBytes' | 'bodyBudgetBytes' | 'requestTimeoutMs' | 'logLevel' | 'auth' | 'idempotencyKeyLifetimeMs' | 'vending' | 'remoteSigning'>;
  authenticator: Authenticator;
  administrators: Administrators;
  authorizer: PostgresAuthorizer;
  checks: AccessChecks;
  grants: GrantService;
  audit: AuditLog;
  idempotencyKeys: IdempotencyKeys;
  /** Only with CATALOG_S3_VENDING=sts or static. */
  vendor?: Vendor;
  /** Only with CATALOG_S3_REMOTE_SIGNING=true. */
  signer?: RequestSigner;
  /** Only with CATALOG_AUTHENTICATION=catalog. */
  clients?: ClientRegistry;
  tokenGrants?: TokenGrants;
  namespaces: NamespaceService;
  tables: TableService;
  views: ViewService;
  droppedTables: DroppedTables;
  clones: CloneService;
  /** Writes large tree clones' first metadata files after they commit. */
  pendingMetadata: PendingMetadataWriter;
  cloneRegistry: CloneRegistry;
  tableSwap: TableSwap;
  namespacePoints: NamespacePoints;
  snapshotExpiry: SnapshotExpiry;
  collector: GarbageCollector;
  gcRuns: GcRunLog;
  gcSettings: GcSettings;
  storageReport: StorageReport;
  metrics: CatalogMetrics;
  warehouses: WarehouseResolver;
  validateBody: BodyValidator;
  health: HealthChecks;
}

// Request lines never include headers, but errors logged whole might (an S3 SDK error carries
// its request): credentials are cut from any log line that has them.
// pino's wildcards span one level, so the nestings errors actually have are spelled out.
const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-amz-security-token"]',
  '*.*.headers.authorization',
  '*.*.headers["x-amz-security-token"]',
  '*.credentials',
  '*.*.credentials',
  '*.secretAccessKey',
  '*.*.secretAccessKey',
  '*.password',
  '*.*.password',
  '*.databaseUrl',
];

/** How long a repeat of a request still running waits for it before its 503 (Retry-After: 1). */
const IDEMPOTENT_REPEAT_WAIT_MS = 10_000;

export interface BuildOptions {
  /** false: no logging; a stream: JSON lines go there instead of standard output (tests). */
  logger?: false | { write(line: string): void };
}

export async function buildApp(deps: AppDependencies, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: deps.config.logLevel,
            redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
            timestamp: () => `,"time":"${new Date().toISOString()}"`,
            ...(options.logger ? { stream: options.logger } : {}),
          },
    // One line per request, written by registerRequestObservability once the answer is sent.
    logController: new LogController({ disableRequestLogging: true }),
    // While closing, a request that still arrives on an open keep-alive connection is served,
    // not refused: the drain (main.ts) has already steered new traffic elsewhere.
    return503OnClosing: false,
    bodyLimit: deps.config.bodyLimitBytes,
    // Time to receive a whole request (slow clients), and to answer it once received.
    requestTimeout: deps.config.requestTimeoutMs,
    handlerTimeout: deps.config.requestTimeoutMs,
    // Namespace levels are joined by 0x1F, and names may contain almost anything; the limit fits
    // the longest namespace that can be created, every byte percent-encoded (input-limits.ts).
    routerOptions: { maxParamLength: ROUTER_MAX_PARAM_LENGTH, querystringParser: parseQueryString },
    frameworkErrors: renderFrameworkError,
    genReqId: requestIdOf,
    // HEAD routes are declared explicitly: their answers differ from GET's (204, no body).
    exposeHeadRoutes: false,
  });
  const routes = collectRouteMethods(app);
  registerRequestObservability(app, deps.metrics);
  registerRequestChecks(app);
  registerBodyBudget(app, new BodyBudget(deps.config.bodyBudgetBytes), deps.config.bodyLimitBytes);
  registerJsonBodyParser(app);
  registerErrorHandling(app, deps.metrics, routes);
  registerRequestCommits(app);
  registerAuditHook(app, deps.audit);
  deps.audit.useLogger(app.log);
  registerAuthentication(app, deps.authenticator);
  if (deps.config.idempotencyKeyLifetimeMs > 0) {
    registerIdempotencyHook(app, deps.idempotencyKeys, { waitMs: IDEMPOTENT_REPEAT_WAIT_MS, requestTimeoutMs: deps.config.requestTimeoutMs });
  }
  await registerCompression(app);
  await app.register(swagger, { mode: 'static', specification: { document: loadOpenApiDocument() as never } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  registerHealthRoutes(app, deps.health);
  registerTokenRoutes(app, deps);
  registerAuthRoutes(app, deps);
  registerGrantRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerConfigRoutes(app, deps);
  registerNamespaceRoutes(app, deps);
  registerTableRoutes(app, deps);
  registerSignRoutes(app, deps);
  registerViewRoutes(app, deps);
  registerCloneRoutes(app, deps);
  registerRetentionRoutes(app, deps);
  registerGcRoutes(app, deps);
  return app;
}
