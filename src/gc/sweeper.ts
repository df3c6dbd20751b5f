// Deletes marked objects from storage: in batches (one S3 DeleteObjects request per 1,000
// keys, handled by the store), several batches at once, retrying throttled batches with
// exponential backoff. A file already gone counts as deleted. Never anything outside a
// warehouse root: the caller passes the roots, every URI is checked again here, and the store
// is told the root of each batch, so a local store refuses a path through a linked directory
// (a table directory linked out of the warehouse). Refusals come back as failures with their
// reason; the objects stay marked, and the next run reports them again.
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
    const byRoot = new Map<string, IndexedObject[]>();
    for (const o of objects) {
      // Roots never nest (findOverlappingWarehouse), so an object lies under one root at most.
      const root = roots.find((r) => isUnderRoot(r, o.uri));
      if (root === undefined) outcome.failed.push({ object: o, error: 'outside every warehouse root; not deleted' });
      else if (byRoot.has(root)) byRoot.get(root)!.push(o);
      else byRoot.set(root, [o]);
    }
    const batches: { root: string; objects: IndexedObject[] }[] = [];
    for (const [root, inside] of byRoot) {
      for (let i = 0; i < inside.length; i += this.options.batchSize) batches.push({ root, objects: inside.slice(i, i + this.options.batchSize) });
    }
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const { root, objects: batch } = batches[next++];
        for (let attempt = 1; ; attempt++) {
          try {
            const { refused } = await this.store.delete(batch.map((o) => o.uri), { root });
            const reasons = new Map(refused.map((r) => [r.uri, r.reason]));
            for (const object of batch) {
              const reason = reasons.get(object.uri);
              if (reason === undefined) outcome.deleted.push(object);
              else outcome.failed.push({ object, error: reason });
            }
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
