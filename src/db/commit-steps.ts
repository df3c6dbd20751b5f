// Work a request adds to every read-write transaction it commits, in that transaction, just
// before its COMMIT: the idempotency fence (src/http/idempotency-hook.ts) and the request's
// audit event (src/http/audit-hook.ts). Whatever a request commits then carries both, or the
// transaction rolls back: a kill -9 right after a commit cannot lose the commit's audit event,
// and a retry can tell whether the first attempt landed.
//
// It sits in the database driver, below every service, so that no catalog code passes request
// state around: the request's steps travel in an AsyncLocalStorage.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CompiledQuery, DatabaseConnection, Driver, QueryResult, TransactionSettings } from 'kysely';

export type ExecuteInTransaction = (query: CompiledQuery) => Promise<QueryResult<unknown>>;

/** Runs in the transaction about to commit; throwing rolls it back. */
export type CommitStep = (execute: ExecuteInTransaction) => Promise<void>;

export interface RequestCommits {
  steps: CommitStep[];
  /**
   * Closed once the request has its final answer: work it left running in the background
   * (a collection run it started) is no longer the request's. A 5xx leaves it open: the
   * handler may still be running, and must stay fenced.
   */
  open: boolean;
}

const current = new AsyncLocalStorage<RequestCommits>();

/** Runs `work` (a route handler) with `commits`' steps in each transaction it commits. */
export function runWithCommitSteps<T>(commits: RequestCommits, work: () => T): T {
  return current.run(commits, work);
}

/**
 * Runs `work` outside any request: work a request starts in the background (writing a clone's
 * pending files) commits transactions of its own, which must not carry the request's audit
 * event and idempotency fence a second time.
 */
export function detachedFromRequest<T>(work: () => T): T {
  return current.exit(work);
}

/** `driver`, with the current request's steps run before each read-write commit. */
export function commitStepsDriver(driver: Driver): Driver {
  // Read-only transactions change nothing (and could not write).
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
      const commits = current.getStore();
      if (commits?.open && !readOnly.has(connection)) {
        // Kysely rolls the transaction back when its commit throws.
        for (const step of commits.steps) await step((query) => connection.executeQuery(query));
      }
      await driver.commitTransaction(connection);
    },
    rollbackTransaction: (connection) => driver.rollbackTransaction(connection),
    ...(driver.savepoint ? { savepoint: driver.savepoint.bind(driver) } : {}),
    ...(driver.rollbackToSavepoint ? { rollbackToSavepoint: driver.rollbackToSavepoint.bind(driver) } : {}),
    ...(driver.releaseSavepoint ? { releaseSavepoint: driver.releaseSavepoint.bind(driver) } : {}),
  };
}
