// Migrations: applied once even when several replicas start together, and re-running them
// changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { migrate, pendingMigrations, readMigrations } from '../../src/db/migrator.js';
import { createDatabase, noPostgres } from '../support/test-catalog.js';

describe('migrations on Postgres', { skip: noPostgres }, () => {
  let handles: DatabaseHandle[] = [];
  let dropDatabase: () => Promise<void>;
  let url: string;

  before(async () => {
    const database = await createDatabase('migrations');
    dropDatabase = database.drop;
    url = database.url;
    handles = await Promise.all(
      Array.from({ length: 4 }, () =>
        openDatabase({ url, embeddedDataDir: '', poolSize: 2, statementTimeoutMs: 30_000, connectionTimeoutMs: 5_000 }),
      ),
    );
  });

  after(async () => {
    await Promise.all(handles.map((h) => h.close()));
    await dropDatabase?.();
  });

  test('four replicas migrating at once apply every migration exactly once', async () => {
    const files = await readMigrations();
    const results = await Promise.all(handles.map((h) => migrate(h.db)));
    const applied = results.flat();
    assert.deepEqual(applied.sort(), files.map((f) => f.name).sort(), 'each file applied by exactly one replica');
    const ledger = await sql<{ name: string }>`SELECT name FROM schema_migration ORDER BY name`.execute(handles[0].db);
    assert.deepEqual(ledger.rows.map((r) => r.name), files.map((f) => f.name));
  });

  test('running them again changes nothing', async () => {
    const schemaOf = async () =>
      (
        await sql<{ d: string }>`SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, column_name) AS d
          FROM information_schema.columns WHERE table_schema = 'public'`.execute(handles[0].db)
      ).rows[0].d;
    const before = await schemaOf();
    assert.deepEqual(await migrate(handles[1].db), []);
    assert.equal(await schemaOf(), before);
    assert.deepEqual(await pendingMigrations(handles[2].db, await readMigrations()), []);
  });

  test('an applied migration that was edited afterwards is refused', async () => {
    const files = await readMigrations();
    const edited = files.map((f, i) => (i === 0 ? { ...f, checksum: 'edited' } : f));
    await assert.rejects(migrate(handles[3].db, edited), /was changed after it was applied/);
  });
});
