// Integration tests run the real application on a real Postgres (a fresh database per
// test file, created on the server the test script started) and real object storage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDependencies } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDependencies, createObjectStore, openCatalogDatabase } from '../../src/dependencies.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrator.js';
import { ensureWarehouse } from '../../src/db/warehouse-repository.js';
import { fileUri } from '../../src/storage/filesystem-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';

export const adminDatabaseUrl = process.env.CATALOG_TEST_DATABASE_URL;
export const s3Endpoint = process.env.CATALOG_TEST_S3_ENDPOINT || undefined;
/** node:test `skip` reason when the test script did not start Postgres (never silently passes: it is reported as skipped). */
export const noPostgres = adminDatabaseUrl ? false : 'CATALOG_TEST_DATABASE_URL is not set (run through npm test)';

/**
 * A catalog whose collector deletes at once (no grace period), runs only when asked, and may
 * delete orphans: what tests of the collector's guarantees need.
 */
export const EAGER_COLLECTOR_ENV = {
  CATALOG_GC_GRACE_MS: '0',
  CATALOG_GC_SCHEDULE: 'off',
  CATALOG_GC_ORPHAN_SCHEDULE: 'off',
  CATALOG_GC_ORPHAN_MODE: 'delete',
} as const;

/**
 * Creates an empty database next to the admin one and returns its URL. `locale` makes it a
 * database of that collation and character type (the test server's default is C).
 */
export async function createDatabase(label: string, options: { locale?: string } = {}): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!adminDatabaseUrl) throw new Error('CATALOG_TEST_DATABASE_URL is not set');
  const name = `it_${label.replace(/\W/g, '_')}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  const locale = options.locale ? ` TEMPLATE template0 LC_COLLATE '${options.locale}' LC_CTYPE '${options.locale}'` : '';
  await admin.query(`CREATE DATABASE ${name}${locale}`);
  await admin.end();
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminDatabaseUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface TestCatalog {
  app: FastifyInstance;
  deps: AppDependencies;
  baseUrl: string;
  database: DatabaseHandle;
  store: ObjectStore;
  config: Config;
  warehouseLocation: string;
  close(): Promise<void>;
}

export interface TestCatalogOptions {
  databaseUrl: string;
  /** Defaults to a fresh temporary directory. */
  warehouseLocation?: string;
  env?: Record<string, string>;
  /** Receives the JSON log lines (set CATALOG_LOG_LEVEL in env); without it nothing is logged. */
  log?: string[];
  /** Extra routes or hooks for a test, added before the server listens. */
  extend?: (app: FastifyInstance) => void;
}

export async function startTestCatalog(options: TestCatalogOptions): Promise<TestCatalog> {
  const scratch = await mkdtemp(join(tmpdir(), 'catalog-it-'));
  const warehouseLocation = options.warehouseLocation ?? fileUri(join(scratch, 'warehouse'));
  const config = loadConfig({
    CATALOG_DATA_DIR: scratch,
    CATALOG_DATABASE_URL: options.databaseUrl,
    CATALOG_WAREHOUSE_LOCATION: warehouseLocation,
    CATALOG_LOG_LEVEL: 'silent',
    ...(s3Endpoint ? { CATALOG_S3_ENDPOINT: s3Endpoint, CATALOG_S3_PATH_STYLE: 'true' } : {}),
    ...options.env,
  });
  const database = await openCatalogDatabase(config);
  await migrate(database.db);
  await ensureWarehouse(database.db, config.warehouseName, config.warehouseLocation);
  const store = createObjectStore(config);
  const deps = await createDependencies(config, database, store, { started: true, shuttingDown: false });
  const log = options.log;
  const app = await buildApp(deps, { logger: log ? { write: (line: string) => void log.push(line) } : false });
  options.extend?.(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    deps,
    baseUrl: `http://127.0.0.1:${port}`,
    database,
    store,
    config,
    warehouseLocation,
    close: async () => {
      await app.close();
      await deps.pendingMetadata.idle();
      await deps.audit.close();
      await database.close();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
