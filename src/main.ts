// config -> dependencies -> app -> listen, and an orderly shutdown on SIGTERM/SIGINT.
import { buildApp } from './app.js';
import { ConfigError, type Config } from './config.js';
import { createDependencies, createObjectStore, openCatalogDatabase, type Runtime } from './dependencies.js';
import { migrate } from './db/migrator.js';
import { ensureWarehouse } from './db/warehouse-repository.js';
import { CronJob } from './scheduler/cron-job.js';
import { PeriodicJob } from './scheduler/periodic-job.js';

export async function serve(config: Config): Promise<void> {
  const database = await openCatalogDatabase(config);
  if (config.migrateOnStart) await migrate(database.db);
  const warehouse = await ensureWarehouse(database.db, config.warehouseName, config.warehouseLocation);
  if (warehouse.location !== config.warehouseLocation) {
    // Moving a warehouse root would leave its tables outside it, where nothing may delete their files.
    await database.close();
    throw new ConfigError(
      `CATALOG_WAREHOUSE_LOCATION is ${config.warehouseLocation}, but warehouse "${warehouse.name}" already exists in this ` +
        `database with location ${warehouse.location}. Use that location, or a new CATALOG_WAREHOUSE_NAME.`,
    );
  }
  const runtime: Runtime = { shuttingDown: false };
  const deps = await createDependencies(config, database, createObjectStore(config), runtime);
  const app = await buildApp(deps);
  const cloneExpiry = new PeriodicJob(
    'clone-expiry',
    config.cloneExpiryIntervalMs,
    async () => {
      const dropped = await deps.cloneRegistry.dropExpired();
      return dropped.length > 0 ? { dropped: dropped.map((d) => d.name) } : undefined;
    },
    app.log,
  );
  // Every replica schedules the collector; the leader lock lets one run it at a time.
  const collect = (orphans: 'off' | 'dry-run' | 'delete') => async () => {
    const started = await deps.collector.start({ trigger: 'schedule', dryRun: false, orphans });
    if (!started) return undefined;
    const run = await started.finished;
    return { run: run.id, status: run.status, counts: run.counts, errors: run.errors.slice(0, 5) };
  };
  const jobs = [
    ...(config.gc.schedule ? [new CronJob('gc', config.gc.schedule, collect('off'), app.log)] : []),
    ...(config.gc.orphanSchedule ? [new CronJob('gc-orphans', config.gc.orphanSchedule, collect(config.gc.orphanMode), app.log)] : []),
  ];
  const metricsServer = config.metricsPort > 0 ? await deps.metrics.listen(config.host, config.metricsPort) : undefined;

  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= (async () => {
      app.log.info({ signal }, 'shutting down');
      runtime.shuttingDown = true;
      // Fastify stops accepting, lets in-flight requests finish, then we close the pool.
      const deadline = setTimeout(() => {
        app.log.error('shutdown deadline passed; exiting');
        process.exit(1);
      }, 25_000);
      deadline.unref();
      await cloneExpiry.stop();
      for (const job of jobs) await job.stop();
      // A run under way finishes its current step's transaction; what it leaves, the next run resumes.
      await deps.collector.stop();
      metricsServer?.close();
      await app.close();
      await database.close();
      app.log.info('stopped');
    })();
    return closing;
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  if (config.cloneExpiryIntervalMs > 0) cloneExpiry.start();
  for (const job of jobs) job.start();
  app.log.info(
    { database: database.kind, warehouse: config.warehouseName, location: config.warehouseLocation },
    'Iceberg REST catalog ready',
  );
}
