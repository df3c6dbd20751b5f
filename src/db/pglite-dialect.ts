// A Kysely dialect for PGlite, the embedded Postgres of the zero-configuration start.
// PGlite is one connection, so the driver hands it to one caller at a time: a transaction
// holds it from BEGIN to COMMIT, and everyone else queues.
//
// That makes one mistake fatal here that is harmless on a Postgres pool: code inside a
// transaction callback that queries the pool (`this.db` instead of `tx`) waits for the
// connection its own transaction holds, forever, and every later request queues behind it.
// `EmbeddedKysely` runs each transaction (and reserved-connection) callback inside a scope
// the driver can see, and the driver refuses, with an error naming the mistake, to hand the
// connection to code running inside a scope that holds it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  ConnectionBuilder,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  TransactionBuilder,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import { commitStepsDriver } from './commit-steps.js';

/** Thrown instead of waiting forever for the connection the caller's own transaction holds. */
export class EmbeddedConnectionDeadlockError extends Error {
  constructor() {
    super(
      'embedded database: a query on the pool was issued from inside a transaction, which holds the only ' +
        'connection, so it would wait forever; pass the transaction (tx) to that query instead',
    );
    this.name = 'EmbeddedConnectionDeadlockError';
  }
}

/** Which code is running while a transaction callback holds the connection. */
class HoldingScope {
  private readonly storage = new AsyncLocalStorage<{ holding: boolean }>();

  run<T>(work: () => Promise<T>): Promise<T> {
    const scope = { holding: true };
    return this.storage.run(scope, async () => {
      try {
        return await work();
      } finally {
        // Work the callback started without awaiting it may query the pool later: by then
        // the connection is (about to be) released, so it only queues.
        scope.holding = false;
      }
    });
  }

  get insideHolder(): boolean {
    return this.storage.getStore()?.holding === true;
  }
}

class PgliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: PGlite) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Like pg, a query without parameters goes through the simple protocol, which allows
    // several statements in one string (migrations are such strings).
    const result =
      query.parameters.length === 0
        ? ((await this.pglite.exec(query.sql)).at(-1) ?? { rows: [], affectedRows: 0 })
        : await this.pglite.query<R>(query.sql, [...query.parameters]);
    const affected = result.affectedRows;
    return {
      rows: result.rows as R[],
      numAffectedRows: affected === undefined ? undefined : BigInt(affected),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite driver does not stream');
  }
}

class PgliteDriver implements Driver {
  private readonly connection: PgliteConnection;
  private queue: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  constructor(
    private readonly pglite: PGlite,
    private readonly scope: HoldingScope,
  ) {
    this.connection = new PgliteConnection(pglite);
  }

  async init(): Promise<void> {
    await this.pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.scope.insideHolder) throw new EmbeddedConnectionDeadlockError();
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.release = release;
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  async releaseConnection(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    await this.pglite.close();
  }
}

export class PgliteDialect implements Dialect {
  /** Shared by the driver and EmbeddedKysely. */
  readonly scope = new HoldingScope();

  constructor(private readonly pglite: PGlite) {}

  createAdapter() {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return commitStepsDriver(new PgliteDriver(this.pglite, this.scope));
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }

  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
}

/**
 * Kysely on PGlite whose transaction and connection callbacks run inside the dialect's
 * holding scope. (Controlled transactions, `startTransaction()`, have no callback to scope;
 * the catalog does not use them.)
 */
export class EmbeddedKysely<DB> extends Kysely<DB> {
  private readonly scope: HoldingScope;

  constructor(dialect: PgliteDialect) {
    super({ dialect });
    this.scope = dialect.scope;
  }

  override transaction(): TransactionBuilder<DB> {
    return scopedTransaction(super.transaction(), this.scope);
  }

  override connection(): ConnectionBuilder<DB> {
    const builder = super.connection();
    const execute = builder.execute;
    return Object.assign(builder, {
      execute: <T>(callback: (db: Kysely<DB>) => Promise<T>) => execute.call(builder, (db) => this.scope.run(() => callback(db))),
    });
  }
}

function scopedTransaction<DB>(builder: TransactionBuilder<DB>, scope: HoldingScope): TransactionBuilder<DB> {
  const { execute, setAccessMode, setIsolationLevel } = builder;
  return Object.assign(builder, {
    execute: <T>(callback: Parameters<typeof execute<T>>[0]) => execute.call(builder, (tx) => scope.run(() => callback(tx))),
    setAccessMode: (mode: Parameters<typeof setAccessMode>[0]) => scopedTransaction(setAccessMode.call(builder, mode), scope),
    setIsolationLevel: (level: Parameters<typeof setIsolationLevel>[0]) => scopedTransaction(setIsolationLevel.call(builder, level), scope),
  });
}
