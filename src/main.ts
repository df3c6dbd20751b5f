// config -> dependencies -> app -> listen, and an orderly shutdown on SIGTERM/SIGINT.
import { buildApp } from './app.js';
import { ConfigError, type Config } from './config.js';
import { createDependencies, createObjectStore, openCatalogDatabase, type Runtime } from './dependencies.js';
import { migrate } from './db/migrator.js';
import { ensureWarehouse, manageRootsUnder } from './db/warehouse-repository.js';
import { CronJob } from './scheduler/cron-job.js';
import { PeriodicJob } from './scheduler/periodic-job.js';
import { prettyLogStream } from './observability/pretty-log.js';
import { fileUriToPath } from './storage/filesystem-store.js';
import { databaseStartupError, listenError, requireAuthenticationOffLoopback, requireWritableFolder } from './startup-checks.js';

/**
 * The catalog database, migrated, with its warehouse: a fault an operator fixes with one
 * setting (an unwritable folder, an unreachable database) is a ConfigError naming it.
 */
async function openReadyDatabase(config: Config) {
  // The data folder holds the embedded database; a file:// warehouse root must be writable too.
  if (!config.databaseUrl) await requireWritableFolder(config.dataDir, 'CATALOG_DATA_DIR');
  if (config.warehouseLocation.startsWith('file:')) {
    const root = fileUriToPath(config.warehouseLocation);
    const underDataDir = root === config.dataDir || root.startsWith(`${config.dataDir}/`);
    await requireWritableFolder(root, underDataDir ? 'CATALOG_DATA_DIR' : 'CATALOG_WAREHOUSE_LOCATION');
  }
  const database = await openCatalogDatabase(config).catch((error: unknown) => {
    if (config.databaseUrl) throw error;
    throw new ConfigError(
      `CATALOG_DATA_DIR: the embedded database in ${config.dataDir}/catalog-db could not be opened (${(error as Error).message}); ` +
        'set CATALOG_DATA_DIR to another folder, or CATALOG_DATABASE_URL to use Postgres',
    );
  });
  try {
    if (config.migrateOnStart) await migrate(database.db);
    return { database, warehouse: await ensureWarehouse(database.db, config.warehouseName, config.warehouseLocation) };
  } catch (error) {
    await database.close().catch(() => undefined);
    throw databaseStartupError(error, config.databaseUrl) ?? error;
  }
}

export async function serve(config: Config): Promise<void> {
  requireAuthenticationOffLoopback(config);
  const { database, warehouse } = await openReadyDatabase(config);
  if (warehouse.location !== config.warehouseLocation) {
    // Moving a warehouse root would leave its tables outside it, where nothing may delete their files.
    await database.close();
    throw new ConfigError(
      `CATALOG_WAREHOUSE_LOCATION is ${config.warehouseLocation}, but warehouse "${warehouse.name}" already exists in this ` +
        `database with location ${warehouse.location}. Use that location, or a new CATALOG_WAREHOUSE_NAME.`,
    );
  }
  // Warehouses created before roots were managed (or by an older version) become deletable
  // only once the operator lists a root above them.
  await manageRootsUnder(database.db, config.warehouseAllowedRoots);
  const runtime: Runtime = { started: false, shuttingDown: false };
  const deps = await createDependencies(config, database, createObjectStore(config), runtime);
  // JSON lines for collectors; readable lines when a person watches a terminal.
  const app = await buildApp(deps, process.stdout.isTTY ? { logger: prettyLogStream(process.stdout) } : {});
  if (config.auth.bootstrapClient) await deps.clients?.ensure(config.auth.bootstrapClient.id, config.auth.bootstrapClient.secret);
  const cloneExpiry = new PeriodicJob(
    'clone-expiry',
    config.cloneExpiryIntervalMs,
    async () => {
      const dropped = await deps.cloneRegistry.dropExpired();
      deps.metrics.clonesExpired(dropped.length);
      return dropped.length > 0 ? { dropped: dropped.map((d) => d.name) } : undefined;
    },
    app.log,
  );
  // Large tree clones' metadata files left unwritten by a crash (or a failed write) are written
  // at start and then every half minute; the clone itself starts the writing when it commits.
  deps.pendingMetadata.log = app.log;
  const pendingMetadata = new PeriodicJob(
    'pending-metadata-files',
    30_000,
    async () => {
      const written = await deps.pendingMetadata.drain();
      return written > 0 ? { written } : undefined;
    },
    app.log,
  );
  const auditRetention = new PeriodicJob(
    'audit-retention',
    60 * 60 * 1000,
    async () => {
      const deleted = await deps.audit.prune(config.auditRetentionDays * 86_400_000);
      return deleted > 0 ? { deleted } : undefined;
    },
    app.log,
  );
  const idempotencyExpiry = new PeriodicJob(
    'idempotency-key-expiry',
    60 * 60 * 1000,
    async () => {
      const deleted = await deps.idempotencyKeys.prune();
      return deleted > 0 ? { deleted } : undefined;
    },
    app.log,
  );
  // Every replica schedules the collector; the leader lock lets one run it at a time.
  const collect = (orphans: 'off' | 'dry-run' | 'delete') => async () => {
    const started = await deps.collector.start({ trigger: 'schedule', dryRun: false, orphans });
    if (!started) return undefined;
    const run = await started.finished;
    deps.audit.recordRun(run, null, null);
    return { run: run.id, status: run.status, counts: run.counts, errors: run.errors.slice(0, 5) };
  };
  const jobs = [
    ...(config.gc.schedule ? [new CronJob('gc', config.gc.schedule, collect('off'), app.log)] : []),
    ...(config.gc.orphanSchedule ? [new CronJob('gc-orphans', config.gc.orphanSchedule, collect(config.gc.orphanMode), app.log)] : []),
  ];
  const metricsServer =
    config.metricsPort > 0
      ? await deps.metrics.listen(config.host, config.metricsPort).catch((error: unknown) => {
          throw listenError(error, 'CATALOG_METRICS_PORT', config.host, config.metricsPort) ?? error;
        })
      : undefined;

  // SIGTERM (Kubernetes: the pod is being deleted) starts the shutdown:
  //  1. readiness fails at once, so endpoints controllers and load balancers stop routing
  //     new requests here; the scheduled jobs stop, and a collection under way stops after
  //     its current step, releasing the leader lock for another replica;
  //  2. for the drain period the API keeps serving whatever still arrives;
  //  3. then the port closes, requests in flight finish (up to the shutdown timeout), idle
  //     keep-alive connections are closed, and the pool is closed last.
  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= (async () => {
      app.log.info({ signal, drainMs: config.shutdownDrainMs, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
      runtime.shuttingDown = true;
      // The collector is told first: a scheduled job's stop() waits for its run, which only
      // ends early once the collector knows. What a run leaves unfinished, the next resumes.
      const stopJobs = Promise.all([deps.collector.stop(), cloneExpiry.stop(), pendingMetadata.stop().then(() => deps.pendingMetadata.idle()), auditRetention.stop(), idempotencyExpiry.stop(), ...jobs.map((job) => job.stop())]);
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
      let pending = 'requests in flight';
      const deadline = setTimeout(() => {
        app.log.error({ pending }, 'shutdown deadline passed; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs);
      deadline.unref();
      await app.close();
      pending = 'the collection run under way (it stops after its current step)';
      await stopJobs;
      // The audit events of the last requests and runs, before the pool closes.
      await deps.audit.close();
      metricsServer?.close();
      await database.close();
      app.log.info('stopped');
    })().catch((error: unknown) => {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
    return closing;
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.host, port: config.port }).catch((error: unknown) => {
    throw listenError(error, 'CATALOG_PORT', config.host, config.port) ?? error;
  });
  if (config.cloneExpiryIntervalMs > 0) cloneExpiry.start();
  for (const job of jobs) job.start();
  auditRetention.start();
  void auditRetention.runOnce();
  pendingMetadata.start();
  void pendingMetadata.runOnce();
  idempotencyExpiry.start();
  runtime.started = true;
  app.log.info(
    { database: database.kind, warehouse: config.warehouseName, location: config.warehouseLocation, authentication: config.auth.mode },
    'Iceberg REST catalog ready',
  );
  if (config.auth.mode === 'off') {
    app.log.warn(
      { host: config.host, port: config.port },
      'authentication is off: every request is served without a token (set CATALOG_AUTHENTICATION=catalog or oidc before sharing this catalog)',
    );
  }
}
