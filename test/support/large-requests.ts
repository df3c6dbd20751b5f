// The largest requests the catalog accepts, one per shape, for the request-memory benchmark and
// the test that a catalog with the production heap survives them (test/integration/
// request-limits.test.ts). Each builder fills `bytes` of body as far as the limits allow.
import { MAX_NAME_LENGTH } from '../../src/catalog/name-limits.js';
import { MAX_JSON_CONTAINERS, MAX_JSON_DEPTH, MAX_PROPERTIES_PER_REQUEST } from '../../src/http/input-limits.js';

export interface LargeRequest {
  shape: string;
  method: string;
  /** Path under the base URL; `{n}` is replaced by a unique number per request. */
  path: string;
  body: (n: number) => string;
}

const schemaField = (id: number, pad: number) =>
  `{"id":${id},"name":"c${id}_${'x'.repeat(pad)}","type":"string","required":false}`;

/** A struct schema with as many fields as fit in `bytes`. */
function wideSchema(bytes: number): string {
  const per = schemaField(1_000_000, 40).length + 1;
  const count = Math.floor((bytes - 200) / per);
  const fields = Array.from({ length: count }, (_, i) => schemaField(i + 1, 40));
  return `{"type":"struct","schema-id":0,"fields":[${fields.join(',')}]}`;
}

/** `count` properties whose keys and values share `bytes`. */
function properties(count: number, bytes: number): string {
  const per = Math.max(8, Math.floor((bytes - 100) / count) - 8);
  const half = Math.floor(per / 2);
  const entries = Array.from({ length: count }, (_, i) => {
    const key = `k${i}`.padEnd(half, 'k');
    return `${JSON.stringify(key)}:${JSON.stringify('v'.repeat(per - half))}`;
  });
  return `{${entries.join(',')}}`;
}

export function largeRequests(bytes: number): LargeRequest[] {
  const name = (n: number) => JSON.stringify(`t${n}`.padEnd(MAX_NAME_LENGTH, 'n'));
  return [
    {
      shape: 'one long property value',
      method: 'POST',
      path: '/v1/default/namespaces',
      body: (n) => `{"namespace":["long${n}"],"properties":{"k":${JSON.stringify('x'.repeat(bytes - 100))}}}`,
    },
    {
      shape: `${MAX_PROPERTIES_PER_REQUEST.toLocaleString('en')} properties (the most per request)`,
      method: 'POST',
      path: '/v1/default/namespaces',
      body: (n) => `{"namespace":["props${n}"],"properties":${properties(MAX_PROPERTIES_PER_REQUEST, bytes - 100)}}`,
    },
    {
      shape: 'table with a schema of many fields',
      method: 'POST',
      path: '/v1/default/namespaces/bench/tables',
      body: (n) => `{"name":${name(n)},"schema":${wideSchema(bytes - 400)}}`,
    },
    {
      shape: 'commit with a long updates list',
      method: 'POST',
      path: '/v1/default/namespaces/bench/tables/target',
      body: () => {
        const update = (i: number) => `{"action":"set-properties","updates":{"p${i}":"${'v'.repeat(60)}"}}`;
        const count = Math.floor((bytes - 100) / (update(100_000).length + 1));
        return `{"requirements":[],"updates":[${Array.from({ length: count }, (_, i) => update(i)).join(',')}]}`;
      },
    },
    {
      shape: `${MAX_JSON_CONTAINERS.toLocaleString('en')} arrays (the most per body), ${MAX_JSON_DEPTH} levels deep`,
      method: 'POST',
      path: '/v1/default/namespaces/bench/tables/target/metrics',
      body: () => {
        const inner = '['.repeat(MAX_JSON_DEPTH - 2) + ']'.repeat(MAX_JSON_DEPTH - 2);
        const count = Math.min(Math.floor((bytes - 200) / (inner.length + 1)), Math.floor((MAX_JSON_CONTAINERS - 2) / (MAX_JSON_DEPTH - 2)));
        return `{"report-type":"scan-report","deep":[${Array.from({ length: count }, () => inner).join(',')}]}`;
      },
    },
  ];
}

/** What the requests above need to exist first. */
export async function prepareLargeRequests(baseUrl: string): Promise<void> {
  const post = (path: string, body: unknown) =>
    fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('/v1/default/namespaces', { namespace: ['bench'] });
  const schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', type: 'long', required: false }] };
  await post('/v1/default/namespaces/bench/tables', { name: 'target', schema });
}
