// Opens the catalog database: a Postgres server through a pg pool, or, with no URL
// configured, an embedded PGlite in the data folder.
import { mkdir } from 'node:fs/promises';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database, Db } from './database.js';
import { EmbeddedKysely, PgliteDialect } from './pglite-dialect.js';

export interface DatabaseOptions {
  url?: string;
  embeddedDataDir: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectionTimeoutMs: number;
}

export interface DatabaseHandle {
  db: Db;
  kind: 'postgres' | 'embedded';
  /** Connections in use / idle / waiting, for metrics; undefined on the embedded database. */
  poolStats(): { total: number; idle: number; waiting: number; max: number } | undefined;
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
    // An idle connection dropped by the server (restart, failover) must not crash the
    // process: the pool discards it and the next query opens a new one.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      kind: 'postgres',
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: options.poolSize }),
      close: () => db.destroy(),
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  await mkdir(options.embeddedDataDir, { recursive: true });
  const pglite = new PGlite(options.embeddedDataDir);
  const db: Db = new EmbeddedKysely<Database>(new PgliteDialect(pglite));
  return { db, kind: 'embedded', poolStats: () => undefined, close: () => db.destroy() };
}
