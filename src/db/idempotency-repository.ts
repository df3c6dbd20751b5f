// Idempotency keys (migrations/20261209000000_idempotency_keys.sql): claimed by the first
// request that carries one, finished with its answer, taken over by a retry only while the
// work has not landed, pruned once expired.
import { sql } from 'kysely';
import type { DbOrTx } from './database.js';

export interface IdempotencyRow {
  fingerprint: string;
  operation: string;
  attempt: string;
  state: 'running' | 'retryable' | 'done';
  landed: boolean;
  startedAt: Date;
  status: number | null;
  headers: Record<string, string> | null;
  body: Buffer | null;
}

export interface IdempotencyClaim {
  principal: string;
  key: string;
  fingerprint: string;
  operation: string;
  attempt: string;
  lifetimeMs: number;
}

/** Claims a key not seen before (or expired): true when this attempt holds it now. */
export async function claimKey(db: DbOrTx, claim: IdempotencyClaim): Promise<boolean> {
  const result = await sql`
    INSERT INTO idempotency_key (principal, key, fingerprint, operation, attempt, state, expires_at)
    VALUES (${claim.principal}, ${claim.key}::uuid, ${claim.fingerprint}, ${claim.operation}, ${claim.attempt}::uuid, 'running',
            now() + ${`${claim.lifetimeMs} milliseconds`}::interval)
    ON CONFLICT (principal, key) DO UPDATE
      SET fingerprint = EXCLUDED.fingerprint, operation = EXCLUDED.operation, attempt = EXCLUDED.attempt, state = 'running',
          landed = false, started_at = now(), expires_at = EXCLUDED.expires_at, status = NULL, headers = NULL, body = NULL
      WHERE idempotency_key.expires_at < now()`.execute(db);
  return Number(result.numAffectedRows ?? 0) === 1;
}

export async function findKey(db: DbOrTx, principal: string, key: string): Promise<IdempotencyRow | undefined> {
  const result = await sql<{
    fingerprint: string;
    operation: string;
    attempt: string;
    state: IdempotencyRow['state'];
    landed: boolean;
    started_at: Date | string;
    status: number | null;
    headers: Record<string, string> | string | null;
    body: Uint8Array | null;
  }>`SELECT fingerprint, operation, attempt::text AS attempt, state, landed, started_at, status, headers, body
     FROM idempotency_key WHERE principal = ${principal} AND key = ${key}::uuid AND expires_at >= now()`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    fingerprint: row.fingerprint,
    operation: row.operation,
    attempt: row.attempt,
    state: row.state,
    landed: row.landed,
    startedAt: new Date(row.started_at),
    status: row.status,
    headers: typeof row.headers === 'string' ? (JSON.parse(row.headers) as Record<string, string>) : row.headers,
    body: row.body === null ? null : Buffer.from(row.body),
  };
}

/**
 * Hands a key whose work has not landed to a new attempt (a retry after a 5xx, or of an
 * attempt that stopped answering): true when `attempt` holds it now. The old attempt can no
 * longer land (its transactions check the attempt).
 */
export async function takeOverKey(db: DbOrTx, principal: string, key: string, from: string, attempt: string): Promise<boolean> {
  const result = await sql`
    UPDATE idempotency_key SET attempt = ${attempt}::uuid, state = 'running', started_at = now()
    WHERE principal = ${principal} AND key = ${key}::uuid AND attempt = ${from}::uuid AND state <> 'done' AND NOT landed`.execute(db);
  return Number(result.numAffectedRows ?? 0) === 1;
}

/** Keeps the final answer of `attempt` for replay. */
export async function finishKey(db: DbOrTx, principal: string, key: string, attempt: string, answer: { status: number; headers: Record<string, string>; body: Buffer }): Promise<void> {
  await sql`
    UPDATE idempotency_key SET state = 'done', status = ${answer.status}, headers = ${JSON.stringify(answer.headers)}::jsonb, body = ${answer.body}
    WHERE principal = ${principal} AND key = ${key}::uuid AND attempt = ${attempt}::uuid`.execute(db);
}

/** A 5xx is not final (the spec): the next retry runs the work again, unless it landed. */
export async function releaseKey(db: DbOrTx, principal: string, key: string, attempt: string): Promise<void> {
  await sql`
    UPDATE idempotency_key SET state = 'retryable'
    WHERE principal = ${principal} AND key = ${key}::uuid AND attempt = ${attempt}::uuid AND NOT landed`.execute(db);
}

/** Deletes up to `batch` expired keys; how many. */
export async function pruneKeys(db: DbOrTx, batch = 10_000): Promise<number> {
  const result = await sql`
    DELETE FROM idempotency_key WHERE ctid IN (SELECT ctid FROM idempotency_key WHERE expires_at < now() LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
