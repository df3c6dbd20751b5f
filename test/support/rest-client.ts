// A small REST client for tests: JSON in and out with int64-safe parsing, so snapshot ids
// beyond 2^53 are compared exactly.
import { parseJson, stringifyJson } from '../../src/json/int64-json.js';

export interface RestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export class RestClient {
  constructor(
    readonly baseUrl: string,
    readonly prefix = 'default',
    /** When set, a request not answered in time fails (a hung catalog fails the test, not the run). */
    readonly timeoutMs?: number,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RestResponse<T>> {
    const signal = this.timeoutMs === undefined ? undefined : AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : stringifyJson(body),
        signal,
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw new Error(`${method} ${path} got no answer within ${this.timeoutMs} ms`);
      throw error;
    }
    return { status: response.status, headers: response.headers, body: (text ? parseJson(text) : undefined) as T };
  }

  ns(levels: string[]): string {
    return encodeURIComponent(levels.join('\x1f'));
  }

  tablePath(levels: string[], name: string): string {
    return `/v1/${this.prefix}/namespaces/${this.ns(levels)}/tables/${encodeURIComponent(name)}`;
  }

  createNamespace(levels: string[], properties: Record<string, string> = {}) {
    return this.request('POST', `/v1/${this.prefix}/namespaces`, { namespace: levels, properties });
  }

  createTable(levels: string[], body: Record<string, unknown>) {
    return this.request('POST', `/v1/${this.prefix}/namespaces/${this.ns(levels)}/tables`, body);
  }

  loadTable(levels: string[], name: string, query = '') {
    return this.request('GET', `${this.tablePath(levels, name)}${query}`);
  }

  commit(levels: string[], name: string, requirements: unknown[], updates: unknown[]) {
    return this.request('POST', this.tablePath(levels, name), { requirements, updates });
  }
}

export const simpleSchema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'data', type: 'string', required: false },
  ],
};

let snapshotCounter = 0n;
/** A snapshot id above 2^53, like the ones Java and Python clients generate. */
export function bigSnapshotId(): bigint {
  snapshotCounter += 1n;
  return 9_007_199_254_740_993n + BigInt(Math.floor(Math.random() * 1e9)) * 1000n + snapshotCounter;
}

export function appendSnapshot(id: bigint, parent: bigint | null, sequenceNumber: number, location: string) {
  return {
    'snapshot-id': id,
    ...(parent === null ? {} : { 'parent-snapshot-id': parent }),
    'sequence-number': sequenceNumber,
    'timestamp-ms': Date.now(),
    'manifest-list': `${location}/metadata/snap-${id}.avro`,
    summary: { operation: 'append' },
    'schema-id': 0,
  };
}
