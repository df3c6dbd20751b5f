// A Postgres connection of its own, outside the pool, for state that lives as long as a
// session does (the collector's advisory lock). The pool may close, replace or hand out its
// connections as it likes; this one is held until closed, and says when it is gone.
import pg from 'pg';

export interface DedicatedSession {
  query<R>(text: string, values?: unknown[]): Promise<R[]>;
  /** Aborted once the connection has failed or closed: whatever the session held is gone. */
  readonly closed: AbortSignal;
  /** Ends the session (a reason marks it as lost rather than closed on purpose). */
  close(reason?: unknown): Promise<void>;
}

export interface SessionOptions {
  url: string;
  connectionTimeoutMs: number;
  /** A query unanswered for this long fails: a connection that died silently shows up here. */
  queryTimeoutMs: number;
}

export async function openDedicatedSession(options: SessionOptions): Promise<DedicatedSession> {
  const client = new pg.Client({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectionTimeoutMs,
    query_timeout: options.queryTimeoutMs,
    keepAlive: true,
  });
  const controller = new AbortController();
  // Without an 'error' listener a connection reset would end the process (an EventEmitter rule).
  client.on('error', (error) => controller.abort(error));
  client.on('end', () => controller.abort(new Error('the database connection closed')));
  await client.connect();
  return {
    query: async <R>(text: string, values?: unknown[]) => (await client.query(text, values)).rows as R[],
    closed: controller.signal,
    close: async (reason?: unknown) => {
      controller.abort(reason ?? new Error('session closed'));
      // Not awaited when lost: on a half-open connection the goodbye may never be answered.
      const ending = client.end().catch(() => undefined);
      if (reason === undefined) await ending;
    },
  };
}
