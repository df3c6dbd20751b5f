// Deletes marked objects from storage: in batches (one S3 DeleteObjects request per 1,000
// keys, handled by the store), several batches at once, retrying throttled batches with
// exponential backoff. A file already gone counts as deleted. Never anything outside a
// warehouse root: the caller passes the roots and every URI is checked again here.
import type { IndexedObject } from '../db/object-index-repository.js';
import type { ObjectStore } from '../storage/object-store.js';
import { isUnderRoot } from './object-uri.js';

export interface SweepOutcome {
  deleted: IndexedObject[];
  failed: { object: IndexedObject; error: string }[];
  retries: number;
}

export interface SweeperOptions {
  batchSize: number;
  concurrency: number;
  maxAttempts: number;
  baseBackoffMs: number;
}

export const DEFAULT_SWEEPER_OPTIONS: SweeperOptions = { batchSize: 1000, concurrency: 4, maxAttempts: 5, baseBackoffMs: 200 };

export class Sweeper {
  constructor(
    private readonly store: ObjectStore,
    private readonly options: SweeperOptions = DEFAULT_SWEEPER_OPTIONS,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async delete(objects: IndexedObject[], roots: string[]): Promise<SweepOutcome> {
    const outcome: SweepOutcome = { deleted: [], failed: [], retries: 0 };
    const inside: IndexedObject[] = [];
    for (const o of objects) {
      if (roots.some((root) => isUnderRoot(root, o.uri))) inside.push(o);
      else outcome.failed.push({ object: o, error: 'outside every warehouse root; not deleted' });
    }
    const batches: IndexedObject[][] = [];
    for (let i = 0; i < inside.length; i += this.options.batchSize) batches.push(inside.slice(i, i + this.options.batchSize));
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        for (let attempt = 1; ; attempt++) {
          try {
            await this.store.delete(batch.map((o) => o.uri));
            outcome.deleted.push(...batch);
            break;
          } catch (error) {
            if (attempt >= this.options.maxAttempts || !isRetryable(error)) {
              const message = error instanceof Error ? error.message : String(error);
              outcome.failed.push(...batch.map((object) => ({ object, error: message })));
              break;
            }
            outcome.retries += 1;
            await this.sleep(this.options.baseBackoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, batches.length) }, worker));
    return outcome;
  }
}

/** Throttling and server-side trouble are worth another try; a refusal (403) is not. */
export function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown } | null;
  if (!e) return false;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status === 429 || status >= 500;
  const name = e.name ?? e.code ?? '';
  if (/SlowDown|Throttl|RequestTimeout|InternalError|ServiceUnavailable/i.test(name)) return true;
  return ['ECONNRESET', 'ETIMEDOUT', 'EAGAIN', 'EMFILE', 'EBUSY'].includes(e.code ?? '');
}
