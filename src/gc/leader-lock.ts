// One collector at a time across replicas (design guarantee 4). On Postgres the leader holds
// a session advisory lock on a connection of its own (outside the pool) for the whole run:
// if the process dies, the connection drops and Postgres releases the lock, so there is no
// lease to expire. The embedded database serves one process only, so an in-process flag does.
//
// The other side of that coin: when the lock's connection fails while the process lives (a
// Postgres restart, a reset, a terminated backend), the lock is gone and another replica may
// take it. Leadership then reports itself lost, and the run stops at its next step.
import type { DatabaseHandle } from '../db/connect.js';
import type { DedicatedSession } from '../db/dedicated-session.js';

export interface Leadership {
  /** Aborted when leadership ends without release(): the run must stop, someone else may lead. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface LeaderLock {
  /** Leadership if nobody holds it, at once; undefined otherwise. */
  tryAcquire(): Promise<Leadership | undefined>;
}

/** An arbitrary constant all replicas agree on. */
const COLLECTOR_LOCK_KEY = '7262351001';
/** How often the lock's connection is checked; a silently dead one fails its check. */
const HEARTBEAT_MS = 2000;

export function leaderLockFor(database: DatabaseHandle): LeaderLock {
  return database.openSession ? new PostgresLeaderLock(database.openSession) : new InProcessLeaderLock();
}

export class PostgresLeaderLock implements LeaderLock {
  constructor(
    private readonly openSession: () => Promise<DedicatedSession>,
    private readonly heartbeatMs = HEARTBEAT_MS,
  ) {}

  async tryAcquire(): Promise<Leadership | undefined> {
    const session = await this.openSession();
    try {
      const [row] = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [COLLECTOR_LOCK_KEY]);
      if (!row?.ok) {
        await session.close();
        return undefined;
      }
    } catch (error) {
      await session.close(error);
      throw error;
    }
    const lost = new AbortController();
    let released = false;
    session.closed.addEventListener(
      'abort',
      () => {
        if (!released) lost.abort(session.closed.reason);
      },
      { once: true },
    );
    const heartbeat = setInterval(() => {
      session.query('SELECT 1').catch((error: unknown) => session.close(error));
    }, this.heartbeatMs);
    heartbeat.unref();
    return {
      lost: lost.signal,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        // Unlocked before the goodbye, so the next replica does not find it held while this
        // backend exits; if the connection is gone already, so is the lock.
        await session.query('SELECT pg_advisory_unlock($1::bigint)', [COLLECTOR_LOCK_KEY]).catch(() => undefined);
        await session.close();
      },
    };
  }
}

export class InProcessLeaderLock implements LeaderLock {
  private held = false;

  async tryAcquire(): Promise<Leadership | undefined> {
    if (this.held) return undefined;
    this.held = true;
    return {
      lost: new AbortController().signal,
      release: async () => {
        this.held = false;
      },
    };
  }
}
