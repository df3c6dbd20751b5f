// Builds the object graph from configuration: database, object storage, services.
import { Administrators } from './auth/administrators.js';
import { Authenticator } from './auth/authenticator.js';
import { CatalogTokens } from './auth/catalog-tokens.js';
import { ClientRegistry } from './auth/client-registry.js';
import { OidcVerifier } from './auth/oidc-verifier.js';
import { TokenGrants } from './auth/token-grants.js';
import { Access } from './authz/access.js';
import { PostgresAuthorizer } from './authz/authorizer.js';
import { GrantService } from './authz/grant-service.js';
import { AuditLog } from './audit/audit-log.js';
import { AccessChecks } from './http/access-checks.js';
import { DroppedTables } from './catalog/dropped-tables.js';
import { NamespaceService } from './catalog/namespace-service.js';
import { TableCommitter } from './catalog/table-commit.js';
import { TableLocations } from './catalog/table-locations.js';
import { TableDocuments } from './catalog/table-documents.js';
import { MetadataCache } from './catalog/metadata-cache.js';
import { CloneRegistry } from './clones/clone-registry.js';
import { CloneService } from './clones/clone-service.js';
import { PendingMetadataWriter } from './clones/pending-metadata.js';
import { NamespacePoints } from './clones/namespace-points.js';
import { TableSwap } from './clones/table-swap.js';
import { GarbageCollector } from './gc/collector.js';
import { leaderLockFor } from './gc/leader-lock.js';
import { ObjectIndexer } from './gc/object-indexer.js';
import { GcSettings } from './gc/gc-settings.js';
import { GcRunLog } from './gc/run-log.js';
import { SnapshotExpiry } from './gc/snapshot-expiry.js';
import { StorageReport } from './gc/storage-report.js';
import { DEFAULT_SWEEPER_OPTIONS, Sweeper } from './gc/sweeper.js';
import { countPending } from './db/object-index-repository.js';
import { countLiveClones } from './db/clone-repository.js';
import { CatalogMetrics } from './observability/metrics.js';
import { TableService } from './catalog/table-service.js';
import { ViewService } from './catalog/view-service.js';
import type { AppDependencies } from './app.js';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { pendingMigrations, readMigrations } from './db/migrator.js';
import { createBodyValidator } from './http/body-validation.js';
import { WarehouseResolver } from './http/warehouse-resolver.js';
import { FilesystemObjectStore } from './storage/filesystem-store.js';
import { ObjectStoreRouter, type ObjectStore } from './storage/object-store.js';
import { S3ObjectStore } from './storage/s3-store.js';
import { sql } from 'kysely';
import { join } from 'node:path';
import { IdempotencyKeys } from './idempotency/idempotency-keys.js';
import { CredentialVendor, StaticVendor } from './storage/credential-vendor.js';
import { RequestSigner } from './storage/request-signer.js';

export function createObjectStore(config: Config): ObjectStore {
  return new ObjectStoreRouter({
    file: new FilesystemObjectStore(),
    s3: new S3ObjectStore({ endpoint: config.s3.endpoint, region: config.s3.region, forcePathStyle: config.s3.pathStyle }),
  });
}

export function openCatalogDatabase(config: Config): Promise<DatabaseHandle> {
  return openDatabase({
    url: config.databaseUrl,
    embeddedDataDir: join(config.dataDir, 'catalog-db'),
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    preparedStatements: config.databasePreparedStatements,
    connectionTimeoutMs: config.databaseConnectTimeoutMs,
  });
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** What the probes report about the process itself (main.ts sets it). */
export interface Runtime {
  /** Listening, with its scheduled jobs started. */
  started: boolean;
  /** SIGTERM received: readiness fails from then on. */
  shuttingDown: boolean;
}

export async function createDependencies(
  config: Config,
  database: DatabaseHandle,
  store: ObjectStore,
  runtime: Runtime,
): Promise<AppDependencies> {
  const { db } = database;
  const now = () => Date.now();
  const locations = new TableLocations(db);
  const documents = new TableDocuments(db, new MetadataCache(config.metadataCacheBytes));
  const metrics = new CatalogMetrics({
    indexLag: () => countPending(db),
    pool: () => database.poolStats(),
    clones: () => countLiveClones(db),
    // Read at scrape time, when the authorizer below exists.
    grantCache: () => authorizer.stats,
  });
  const committer = new TableCommitter(db, store, locations, documents, {
    maxAttempts: config.commitMaxAttempts,
    now,
    observer: metrics,
  });
  const migrations = await readMigrations();
  const snapshotExpiry = new SnapshotExpiry(db, documents, committer, now);
  const pendingMetadata = new PendingMetadataWriter(db, store);
  const collector = new GarbageCollector(
    db,
    store,
    leaderLockFor(database),
    new ObjectIndexer(db, store, config.gc.indexConcurrency),
    new Sweeper(store, { ...DEFAULT_SWEEPER_OPTIONS, concurrency: config.gc.deleteConcurrency }),
    snapshotExpiry,
    {
      graceMs: config.gc.graceMs,
      dropRetentionMs: config.gc.dropRetentionMs,
      tombstoneRetentionMs: 7 * DAY_MS,
      runRetentionMs: 30 * DAY_MS,
      sweepBatch: 1000 * config.gc.deleteConcurrency,
      dryRunListLimit: 100_000,
      orphanDeletion: config.gc.orphanMode === 'delete',
    },
    metrics,
  );
  const auth = config.auth;
  const clients = auth.mode === 'catalog' ? new ClientRegistry(db) : undefined;
  const catalogTokens =
    auth.mode === 'catalog'
      ? new CatalogTokens(db, { lifetimeSeconds: auth.tokenLifetimeSeconds, rotationSeconds: auth.tokenKeyRotationSeconds })
      : undefined;
  const oidc =
    auth.mode === 'oidc'
      ? new OidcVerifier({
          issuers: auth.oidc.issuers,
          audience: auth.oidc.audience!,
          principalClaim: auth.oidc.principalClaim,
          groupsClaim: auth.oidc.groupsClaim,
        })
      : undefined;
  const vending = config.vending;
  const vendor =
    vending?.mode === 'sts'
      ? new CredentialVendor({ roleArn: vending.roleArn, durationSeconds: vending.durationSeconds, endpoint: vending.stsEndpoint, region: config.s3.region })
      : vending?.mode === 'static'
        ? new StaticVendor(vending)
        : undefined;
  const administrators = new Administrators(auth);
  const authorizer = new PostgresAuthorizer(db, administrators);
  return {
    config,
    authenticator: new Authenticator(auth, { catalog: catalogTokens, clients, oidc }),
    administrators,
    authorizer,
    checks: new AccessChecks(db, new Access(db, authorizer)),
    grants: new GrantService(db, authorizer),
    audit: new AuditLog(db, undefined, metrics),
    idempotencyKeys: new IdempotencyKeys(db, config.idempotencyKeyLifetimeMs),
    vendor,
    // Static keys are not scoped by the catalog: only STS keys are a second lock for signing.
    signer: config.remoteSigning
      ? new RequestSigner(config.s3.region, { vendor: vending?.mode === 'sts' ? vendor : undefined, aws: !config.s3.endpoint && !config.s3.clientEndpoint })
      : undefined,
    clients,
    tokenGrants: catalogTokens && clients ? new TokenGrants(catalogTokens, clients) : undefined,
    namespaces: new NamespaceService(db),
    tables: new TableService(db, store, locations, committer, documents, now),
    views: new ViewService(db, store, locations, { maxAttempts: config.commitMaxAttempts, now }),
    droppedTables: new DroppedTables(db, locations),
    clones: new CloneService(db, store, locations, documents, now, config.warehouseAllowedRoots, {
      writer: pendingMetadata,
      inlineFiles: config.cloneInlineMetadataFiles,
    }),
    pendingMetadata,
    cloneRegistry: new CloneRegistry(db, now),
    tableSwap: new TableSwap(db),
    namespacePoints: new NamespacePoints(db, store, documents, now),
    snapshotExpiry,
    collector,
    gcRuns: new GcRunLog(db),
    gcSettings: new GcSettings(db, config.gc.dropRetentionMs),
    storageReport: new StorageReport(db),
    metrics,
    warehouses: new WarehouseResolver(db, config.warehouseName),
    validateBody: createBodyValidator(),
    health: {
      started: () => runtime.started,
      async ready() {
        if (runtime.shuttingDown) return { ok: false, reason: 'shutting down' };
        await sql`SELECT 1`.execute(db);
        const pending = await pendingMigrations(db, migrations);
        return pending.length === 0 ? { ok: true } : { ok: false, reason: `pending migrations: ${pending.map((m) => m.name).join(', ')}` };
      },
    },
  };
}
