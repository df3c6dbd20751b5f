// Opens the catalog database: a Postgres server through a pg pool, or, with no URL
// configured, an embedded PGlite in the data folder.
import { mkdir } from 'node:fs/promises';
import { Kysely, PostgresDialect } from 'kysely';
import { namePrepared } from './prepared-statements.js';
import pg from 'pg';
import type { Database, Db } from './database.js';
import { openDedicatedSession, type DedicatedSession } from './dedicated-session.js';
import { commitStepsDriver } from './commit-steps.js';
import { EmbeddedKysely, PgliteDialect } from './pglite-dialect.js';

export interface DatabaseOptions {
  url?: string;
  embeddedDataDir: string;
  poolSize: number;
  statementTimeoutMs: number;
  /** Hot queries as named prepared statements (prepared-statements.ts); on unless false. */
  preparedStatements?: boolean;
  connectionTimeoutMs: number;
}

export interface DatabaseHandle {
  db: Db;
  kind: 'postgres' | 'embedded';
  /** Connections in use / idle / waiting, for metrics; undefined on the embedded database. */
  poolStats(): { total: number; idle: number; waiting: number; max: number } | undefined;
  /** A connection outside the pool for session state (Postgres only; the embedded database is one connection). */
  openSession: (() => Promise<DedicatedSession>) | undefined;
  close(): Promise<void>;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectionTimeoutMs,
      statement_timeout: options.statementTimeoutMs,
      idleTimeoutMillis: 30_000,
    });
    // A connection the server drops (restart, failover, a terminated backend, a reset) emits
    // 'error' on its client, and an 'error' nobody listens to ends the process. pg-pool
    // listens only while a client is idle (and re-emits on the pool); Kysely's PostgresDriver
    // adds no listener to the clients it checks out. So every client gets one for its whole
    // life. Nothing is lost by ignoring the event: the query in flight, or the next one on
    // that client, fails with the same error (answered 503), and the pool discards a client
    // that is no longer queryable when it is released.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
      if (options.preparedStatements !== false) namePrepared(client);
    });
    const db = new Kysely<Database>({ dialect: new FencedPostgresDialect({ pool }) });
    return {
      db,
      kind: 'postgres',
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: options.poolSize }),
      openSession: () =>
        openDedicatedSession({
          url: options.url!,
          connectionTimeoutMs: options.connectionTimeoutMs,
          queryTimeoutMs: Math.max(options.connectionTimeoutMs, 10_000),
        }),
      close: () => db.destroy(),
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  await mkdir(options.embeddedDataDir, { recursive: true });
  const pglite = new PGlite(options.embeddedDataDir);
  const db: Db = new EmbeddedKysely<Database>(new PgliteDialect(pglite));
  return { db, kind: 'embedded', poolStats: () => undefined, openSession: undefined, close: () => db.destroy() };
}

/** Postgres with each request's commit steps (commit-steps.ts). */
class FencedPostgresDialect extends PostgresDialect {
  override createDriver() {
    return commitStepsDriver(super.createDriver());
  }
}
