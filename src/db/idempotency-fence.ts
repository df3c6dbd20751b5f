// The fence of an idempotent request: every read-write transaction the request commits first
// notes, in that same transaction, that the request's work landed, and only while the
// request's attempt still holds its Idempotency-Key. So a retry can tell "nothing happened,
// run it again" from "it landed, do not", even when the process that ran the first attempt
// died before answering; and an attempt a retry took over (it stalled, or its answer was a
// 503 while its handler went on) can no longer commit anything.
//
// It sits in the database driver, below every service, so that no catalog code has to pass a
// key around: the request's context travels in an AsyncLocalStorage.
import { AsyncLocalStorage } from 'node:async_hooks';
import { CompiledQuery, type DatabaseConnection, type Driver, type TransactionSettings } from 'kysely';

export interface FenceContext {
  principal: string;
  key: string;
  attempt: string;
  /**
   * Closed once the request has its final answer: work it left running in the background
   * (a collection run it started) is no longer the request's, and must not fail when the key
   * expires. A 5xx leaves it open: the handler may still be running, and must stay fenced.
   */
  open: boolean;
}

const current = new AsyncLocalStorage<FenceContext>();

/** Runs `work` (a route handler) with its transactions fenced by `context`. */
export function runFenced<T>(context: FenceContext, work: () => T): T {
  return current.run(context, work);
}

/** A commit refused because a retry took the key over: answered 503, nothing changed. */
export class FencedOut extends Error {
  constructor() {
    super('A retry with the same Idempotency-Key took this request over; it changed nothing');
  }
}

const MARK_LANDED = 'UPDATE idempotency_key SET landed = true WHERE principal = $1 AND key = $2::uuid AND attempt = $3::uuid';

/** `driver`, with commits of read-write transactions fenced when a request context is set. */
export function fencedDriver(driver: Driver): Driver {
  // Read-only transactions change nothing (and could not run the update).
  const readOnly = new WeakSet<DatabaseConnection>();
  return {
    init: (options) => driver.init(options),
    acquireConnection: (options) => driver.acquireConnection(options),
    releaseConnection: (connection, options) => driver.releaseConnection(connection, options),
    destroy: (options) => driver.destroy(options),
    async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
      if (settings.accessMode === 'read only') readOnly.add(connection);
      else readOnly.delete(connection);
      await driver.beginTransaction(connection, settings);
    },
    async commitTransaction(connection: DatabaseConnection) {
      const fence = current.getStore();
      if (fence?.open && !readOnly.has(connection)) {
        const result = await connection.executeQuery(CompiledQuery.raw(MARK_LANDED, [fence.principal, fence.key, fence.attempt]));
        // Kysely rolls the transaction back when its commit throws.
        if (Number(result.numAffectedRows ?? 0) !== 1) throw new FencedOut();
      }
      await driver.commitTransaction(connection);
    },
    rollbackTransaction: (connection) => driver.rollbackTransaction(connection),
    ...(driver.savepoint ? { savepoint: driver.savepoint.bind(driver) } : {}),
    ...(driver.rollbackToSavepoint ? { rollbackToSavepoint: driver.rollbackToSavepoint.bind(driver) } : {}),
    ...(driver.releaseSavepoint ? { releaseSavepoint: driver.releaseSavepoint.bind(driver) } : {}),
  };
}
