// Named prepared statements for the hottest queries. Postgres parses and plans an unnamed
// statement on every execution; for the join that finds a table by namespace path (one per
// request on a table) that costs more than running it: measured on this machine, 22,000 of
// them per second as a named statement against 8,300 unnamed, at 64 clients on 16
// connections. A query registered here runs under a fixed name, prepared once per connection.
//
// Kysely's Postgres driver sends its SQL text to pg's client.query(text, values); `namePrepared`
// gives each pooled client a query that sends a registered text by name instead. Behind a
// connection pooler that cannot keep prepared statements across transactions (PgBouncer
// before 1.21 in transaction mode) turn it off: CATALOG_DATABASE_PREPARED_STATEMENTS=false.
import { createHash } from 'node:crypto';
import type pg from 'pg';

const NAMES = new Map<string, string>();

/** Registers `sql` to run as a named prepared statement; returns it unchanged. */
export function prepared(sql: string): string {
  NAMES.set(sql, `catalog_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`);
  return sql;
}

/** Makes `client` send registered statements by name (once per client, at connect). */
export function namePrepared(client: pg.PoolClient | pg.Client): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
    const name = typeof config === 'string' && Array.isArray(values) ? NAMES.get(config) : undefined;
    return name ? query({ name, text: config, values }, callback) : query(config, values, callback);
  };
}
