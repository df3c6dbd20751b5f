// One collector at a time across replicas (design guarantee 4). On Postgres the leader holds
// a session advisory lock on a connection of its own for the whole run: if the process dies,
// the connection drops and Postgres releases the lock, so there is no lease to expire. The
// embedded database serves one process only, so an in-process flag does.
import { sql } from 'kysely';
import type { Db } from '../db/database.js';

export interface Leadership {
  release(): Promise<void>;
}

export interface LeaderLock {
  /** Leadership if nobody holds it, at once; undefined otherwise. */
  tryAcquire(): Promise<Leadership | undefined>;
}

/** An arbitrary constant all replicas agree on. */
const COLLECTOR_LOCK_KEY = 7_262_351_001;

export class PostgresLeaderLock implements LeaderLock {
  constructor(private readonly db: Db) {}

  tryAcquire(): Promise<Leadership | undefined> {
    return new Promise((resolveAcquired, rejectAcquired) => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let settled = false;
      // The callback keeps its connection until leadership is released.
      this.db
        .connection()
        .execute(async (connection) => {
          const row = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${COLLECTOR_LOCK_KEY}::bigint) AS ok`.execute(connection);
          if (!row.rows[0]?.ok) {
            settled = true;
            resolveAcquired(undefined);
            return;
          }
          let done!: () => void;
          const unlocked = new Promise<void>((resolve) => (done = resolve));
          settled = true;
          resolveAcquired({
            release: async () => {
              release();
              await unlocked;
            },
          });
          await released;
          try {
            await sql`SELECT pg_advisory_unlock(${COLLECTOR_LOCK_KEY}::bigint)`.execute(connection);
          } finally {
            done();
          }
        })
        .catch((error: unknown) => {
          if (!settled) rejectAcquired(error);
        });
    });
  }
}

export class InProcessLeaderLock implements LeaderLock {
  private held = false;

  async tryAcquire(): Promise<Leadership | undefined> {
    if (this.held) return undefined;
    this.held = true;
    return {
      release: async () => {
        this.held = false;
      },
    };
  }
}
