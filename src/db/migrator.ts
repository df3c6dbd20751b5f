// Applies the SQL files in migrations/ in name order, each once, forward only. All pending
// files run in one transaction under an advisory lock, so replicas starting together
// apply them once and a failure leaves the schema as it was. Migrations are plain SQL and
// never import application code.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Db } from './database.js';

/** An arbitrary constant: the advisory lock key all replicas agree on for migrations. */
const MIGRATION_LOCK_KEY = 7_346_110_021;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** migrations/ sits at the repository (or image) root, above src/ and dist/src/. */
export function findMigrationsDir(start = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'migrations');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error('migrations/ folder not found');
  }
}

export async function readMigrations(dir = findMigrationsDir()): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (name) => {
      const text = await readFile(join(dir, name), 'utf8');
      return { name, sql: text, checksum: createHash('sha256').update(text).digest('hex') };
    }),
  );
}

const LEDGER = sql`CREATE TABLE IF NOT EXISTS schema_migration (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Migrations not yet applied; also refuses a database whose applied files were edited. */
export async function pendingMigrations(db: Db, migrations: Migration[]): Promise<Migration[]> {
  const ledger = await sql<{ t: string | null }>`SELECT to_regclass('schema_migration')::text AS t`.execute(db);
  if (!ledger.rows[0]?.t) return migrations;
  const applied = await sql<{ name: string; checksum: string }>`SELECT name, checksum FROM schema_migration`.execute(db);
  const byName = new Map(applied.rows.map((r) => [r.name, r.checksum]));
  for (const m of migrations) {
    const checksum = byName.get(m.name);
    if (checksum !== undefined && checksum !== m.checksum) {
      throw new Error(`Migration ${m.name} was changed after it was applied; migrations are frozen once released`);
    }
  }
  return migrations.filter((m) => !byName.has(m.name));
}

export async function migrate(db: Db, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  return db.transaction().execute(async (tx) => {
    // The lock comes first, so even creating the ledger happens once among racing replicas.
    await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(tx);
    // A backfill over a large object index may run for minutes; the pool's statement timeout
    // is meant for requests, and a migration cut off by it could never complete.
    await sql`SET LOCAL statement_timeout = 0`.execute(tx);
    await LEDGER.execute(tx);
    const pending = await pendingMigrations(tx as unknown as Db, all);
    for (const m of pending) {
      await sql.raw(m.sql).execute(tx);
      await sql`INSERT INTO schema_migration (name, checksum) VALUES (${m.name}, ${m.checksum})`.execute(tx);
    }
    return pending.map((m) => m.name);
  });
}
