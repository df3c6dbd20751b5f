// The embedded database has one connection: a query on the pool from inside a transaction
// would wait for itself forever. The dialect refuses it at once, and only that.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { EmbeddedConnectionDeadlockError, EmbeddedKysely, PgliteDialect } from '../../../src/db/pglite-dialect.js';

/** Fails instead of hanging the test run when the guard does not fire. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

describe('PGlite dialect', () => {
  const db = new EmbeddedKysely<{ item: { id: number } }>(new PgliteDialect(new PGlite()));
  const count = async (executor: Kysely<{ item: { id: number } }>) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM item`.execute(executor)).rows[0].n);

  test('a pool query inside a transaction fails at once and rolls the transaction back', async () => {
    await sql`CREATE TABLE item (id int)`.execute(db);
    const attempt = db.transaction().execute(async (tx) => {
      await sql`INSERT INTO item VALUES (1)`.execute(tx);
      return count(db);
    });
    await assert.rejects(within(5000, attempt), EmbeddedConnectionDeadlockError);
    assert.equal(await within(5000, count(db)), 0);
  });

  test('the same holds with an isolation level and for a reserved connection', async () => {
    const repeatable = db.transaction().setIsolationLevel('repeatable read').execute(() => count(db));
    await assert.rejects(within(5000, repeatable), EmbeddedConnectionDeadlockError);
    const reserved = db.connection().execute(() => count(db));
    await assert.rejects(within(5000, reserved), EmbeddedConnectionDeadlockError);
  });

  test('transactions and pool queries from separate callers queue and all complete', async () => {
    const work = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? db.transaction().execute(async (tx) => {
            await sql`INSERT INTO item VALUES (${i})`.execute(tx);
            await new Promise((resolve) => setTimeout(resolve, 1));
            return count(tx);
          })
        : count(db),
    );
    await within(10_000, Promise.all(work));
    assert.equal(await count(db), 10);
  });

  test('after a transaction its caller uses the pool again', async () => {
    const n = await within(
      5000,
      (async () => {
        await db.transaction().execute((tx) => sql`INSERT INTO item VALUES (100)`.execute(tx));
        return count(db);
      })(),
    );
    assert.equal(n, 11);
    await db.destroy();
  });
});
