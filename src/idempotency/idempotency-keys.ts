// Idempotency keys (the REST spec's Idempotency-Key header): a mutation sent again with the
// key of one already answered gets that answer again instead of running twice. What a
// repeat is answered, given what is stored for its key, is decided here (pure); the HTTP
// hook (src/http/idempotency-hook.ts) stores and replays, and the database driver fences the
// work (src/db/idempotency-fence.ts).
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Db } from '../db/database.js';
import { claimKey, finishKey, findKey, pruneKeys, releaseKey, takeOverKey, type IdempotencyRow } from '../db/idempotency-repository.js';
import { stringifyJson } from '../json/int64-json.js';

const gzipped = promisify(gzip);
const gunzipped = promisify(gunzip);

/** The spec asks for a UUIDv7; any UUID in its 36-character form is accepted. */
export const IDEMPOTENCY_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Operations that take no key: a token request and a metrics report change nothing to replay. */
export const WITHOUT_KEYS: ReadonlySet<string> = new Set(['getToken', 'reportMetrics']);

/** Keys are kept this much past the advertised lifetime, for clock skew and slow retries. */
export const KEY_GRACE_MS = 5 * 60_000;

export type RepeatAnswer =
  /** The first answer, again. */
  | { kind: 'replay' }
  /** The same key with another request: 422. */
  | { kind: 'mismatch' }
  /** Nothing landed and the first attempt failed or stopped: run it again under this key. */
  | { kind: 'take-over' }
  /** The first attempt is still running: wait for it, then look again. */
  | { kind: 'wait' }
  /** It landed, and the attempt that did it stopped before its answer was kept. */
  | { kind: 'outcome-unknown' };

/**
 * What a repeat of a key is answered. An attempt older than `staleAfterMs` (the catalog's
 * request deadline and then some) has answered or died: if nothing of it landed, a retry may
 * run the work again (the fence keeps the old attempt from landing later).
 */
export function answerRepeat(row: IdempotencyRow, fingerprint: string, now: number, staleAfterMs: number): RepeatAnswer {
  if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
  if (row.state === 'done') return { kind: 'replay' };
  const stale = now - row.startedAt.getTime() > staleAfterMs;
  if (!row.landed) return row.state === 'retryable' || stale ? { kind: 'take-over' } : { kind: 'wait' };
  return stale ? { kind: 'outcome-unknown' } : { kind: 'wait' };
}

/**
 * What makes two requests the same: method, route, path and query parameters, and the body
 * (parsed, so that spacing and key order of the JSON do not matter, but values do).
 */
export function requestFingerprint(parts: { method: string; route: string; params: unknown; query: unknown; body: unknown }): string {
  const canonical = stringifyJson(canonicalise([parts.method, parts.route, parts.params ?? {}, parts.query ?? {}, parts.body ?? null]));
  return createHash('sha256').update(canonical).digest('hex');
}

function canonicalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalise);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonicalise((value as Record<string, unknown>)[key])]));
  }
  return value;
}

/** ISO-8601 duration, as `/v1/config` advertises it (`PT30M`). */
export function isoDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return seconds % 60 === 0 ? `PT${seconds / 60}M` : `PT${seconds}S`;
}

export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The keys' store: claims, repeats, answers, pruning. */
export class IdempotencyKeys {
  constructor(
    private readonly db: Db,
    readonly lifetimeMs: number,
  ) {}

  /** True when this attempt now holds the key (it was new, or expired). */
  claim(principal: string, key: string, fingerprint: string, operation: string, attempt: string): Promise<boolean> {
    return claimKey(this.db, { principal, key, fingerprint, operation, attempt, lifetimeMs: this.lifetimeMs + KEY_GRACE_MS });
  }

  find(principal: string, key: string) {
    return findKey(this.db, principal, key);
  }

  takeOver(principal: string, key: string, from: string, attempt: string): Promise<boolean> {
    return takeOverKey(this.db, principal, key, from, attempt);
  }

  async finish(principal: string, key: string, attempt: string, answer: StoredAnswer): Promise<void> {
    await finishKey(this.db, principal, key, attempt, { ...answer, body: await gzipped(answer.body, { level: 1 }) });
  }

  release(principal: string, key: string, attempt: string): Promise<void> {
    return releaseKey(this.db, principal, key, attempt);
  }

  /** The kept answer of a finished key. */
  async answerOf(row: IdempotencyRow): Promise<StoredAnswer> {
    return { status: row.status ?? 500, headers: row.headers ?? {}, body: row.body ? await gunzipped(row.body) : Buffer.alloc(0) };
  }

  /** Deletes expired keys; how many. */
  async prune(): Promise<number> {
    let total = 0;
    for (let deleted = -1; deleted !== 0 && total < 1_000_000; total += deleted) deleted = await pruneKeys(this.db);
    return total;
  }
}
