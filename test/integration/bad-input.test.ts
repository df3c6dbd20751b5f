// Every client mistake is a 4xx in the Iceberg error model, and changes nothing: NUL bytes and
// lone surrogates anywhere, invalid UTF-8, duplicated query parameters, numbers and dates out of
// range, empty destinations, limits on names and bodies, unsupported methods and content types.
// Each runs on the embedded default (PGlite) and on Postgres, in a real catalog process.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exitOf, startCatalogProcess, type CatalogProcess } from '../support/catalog-process.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres } from '../support/test-catalog.js';

interface Case {
  name: string;
  method: string;
  path: string;
  /** A string is sent as is (with the content type below); anything else as JSON. */
  body?: unknown;
  raw?: Buffer;
  /** Declares this Content-Length and sends no body: the server must refuse it up front. */
  declaredLength?: number;
  headers?: Record<string, string>;
  status: number;
}

const NUL = '\u0000';
const ns = (levels: string[]) => encodeURIComponent(levels.join('\x1f'));
const table = (namespace: string[], name: string) => ({ namespace, name });

const CASES: Case[] = [
  { name: 'NUL in the warehouse of /v1/config', method: 'GET', path: '/v1/config?warehouse=a%00b', status: 400 },
  { name: 'NUL in parent', method: 'GET', path: '/v1/default/namespaces?parent=a%00', status: 400 },
  { name: 'NUL in a namespace path', method: 'GET', path: '/v1/default/namespaces/a%00/tables', status: 400 },
  { name: 'NUL in a table path', method: 'DELETE', path: '/v1/default/namespaces/ns/tables/t%00', status: 400 },
  { name: 'lone surrogate in a path (invalid UTF-8)', method: 'GET', path: '/v1/default/namespaces/a%ED%A0%80', status: 400 },
  { name: 'invalid percent-encoding in a query', method: 'GET', path: '/v1/config?warehouse=%ED%A0%80', status: 400 },
  { name: 'NUL in a rename', method: 'POST', path: '/v1/default/tables/rename', body: { source: table(['ns'], 't'), destination: table(['ns'], `u${NUL}`) }, status: 400 },
  { name: 'NUL in a swap', method: 'POST', path: '/ext/v1/default/tables/swap', body: { pairs: [{ first: table(['ns'], 't'), second: table(['ns'], `t${NUL}`) }] }, status: 400 },
  { name: 'NUL in a promote', method: 'POST', path: '/ext/v1/default/tables/promote', body: { clone: table(['ns'], `c${NUL}`), target: table(['ns'], 't') }, status: 400 },
  { name: 'NUL in a transaction identifier', method: 'POST', path: '/v1/default/transactions/commit', body: { 'table-changes': [{ identifier: table([`ns${NUL}`], 't'), requirements: [], updates: [] }] }, status: 400 },
  { name: 'lone surrogate in a property value', method: 'POST', path: '/v1/default/namespaces/ns/properties', body: '{"updates":{"a":"\\ud800"}}', status: 400 },
  { name: 'NUL in a property key', method: 'POST', path: '/v1/default/namespaces/ns/properties', body: '{"updates":{"a\\u0000":"x"}}', status: 400 },
  { name: 'invalid UTF-8 in a body', method: 'POST', path: '/v1/default/namespaces/ns/properties', raw: Buffer.from([...Buffer.from('{"updates":{"a":"'), 0xff, 0xfe, ...Buffer.from('"}}')]), status: 400 },
  { name: 'purgeRequested given twice', method: 'DELETE', path: '/v1/default/namespaces/ns/tables/t?purgeRequested=true&purgeRequested=true', status: 400 },
  { name: 'purgeRequested empty', method: 'DELETE', path: '/v1/default/namespaces/ns/tables/t?purgeRequested=', status: 400 },
  { name: 'snapshots mode empty', method: 'GET', path: '/v1/default/namespaces/ns/tables/t?snapshots=', status: 400 },
  { name: 'an expiry past year 9999', method: 'PUT', path: '/ext/v1/default/namespaces/ns/tables/t/expiry', body: { 'ttl-seconds': 2520693503377522 }, status: 400 },
  { name: 'an expires-at past year 9999', method: 'PUT', path: '/ext/v1/default/namespaces/ns/tables/t/expiry', body: { 'expires-at': 8.64e15 }, status: 400 },
  { name: 'as-of before 1970', method: 'GET', path: '/ext/v1/default/namespaces/ns/as-of?timestamp-ms=-1', status: 400 },
  { name: 'a namespace clone to []', method: 'POST', path: '/ext/v1/default/namespaces/ns/clone', body: { destination: [] }, status: 400 },
  { name: 'a null body where an object is due', method: 'POST', path: '/ext/v1/gc/runs', body: 'null', status: 400 },
  { name: 'TRACE on a known path', method: 'TRACE', path: '/v1/default/namespaces', status: 405 },
  { name: 'PATCH on a known path', method: 'PATCH', path: '/v1/default/namespaces/ns', body: {}, status: 405 },
  { name: 'a text/plain body (a cross-site simple request)', method: 'POST', path: '/v1/default/namespaces', body: '{"namespace":["plain"]}', headers: { 'content-type': 'text/plain' }, status: 415 },
  { name: 'a form body', method: 'POST', path: '/v1/default/namespaces', body: 'namespace=form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415 },
  { name: 'a charset other than UTF-8', method: 'POST', path: '/v1/default/namespaces', body: '{"namespace":["latin"]}', headers: { 'content-type': 'application/json; charset=iso-8859-1' }, status: 415 },
  { name: 'a namespace 17 levels deep', method: 'POST', path: '/v1/default/namespaces', body: { namespace: Array.from({ length: 17 }, (_, i) => `l${i}`) }, status: 400 },
  { name: 'a namespace level of 256 characters', method: 'POST', path: '/v1/default/namespaces', body: { namespace: ['x'.repeat(256)] }, status: 400 },
  { name: 'a namespace of more than 1,024 bytes', method: 'POST', path: '/v1/default/namespaces', body: { namespace: Array.from({ length: 5 }, () => 'é'.repeat(120)) }, status: 400 },
  { name: 'a table name of 256 characters', method: 'POST', path: '/v1/default/namespaces/ns/tables', body: { name: 't'.repeat(256), schema: simpleSchema }, status: 400 },
  { name: 'a path parameter past the router limit', method: 'GET', path: `/v1/default/namespaces/${'a'.repeat(3073)}`, status: 414 },
  { name: 'JSON nested 65 levels deep', method: 'POST', path: '/v1/default/namespaces', body: `{"namespace":["deep"],"x":${'['.repeat(64)}${']'.repeat(64)}}`, status: 400 },
  { name: 'more properties than one request may set', method: 'POST', path: '/v1/default/namespaces/ns/properties', body: { updates: Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, 'v'])) }, status: 400 },
  { name: 'a body past the limit', method: 'POST', path: '/v1/default/namespaces', declaredLength: 4 * 1024 * 1024 + 1, status: 413 },
];

/** node:http rather than fetch, which refuses methods such as TRACE. */
function send(baseUrl: string, c: Case): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  const payload = c.raw ?? (c.body === undefined ? undefined : Buffer.from(typeof c.body === 'string' ? c.body : JSON.stringify(c.body)));
  const length = c.declaredLength ?? payload?.length;
  const headers: Record<string, string> = { ...(length ? { 'content-type': 'application/json', 'content-length': String(length) } : {}), ...c.headers };
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${baseUrl}${c.path}`, { method: c.method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text ? JSON.parse(text) : undefined });
        if (c.declaredLength) request.destroy();
      });
    });
    // A server refusing a body it will not read (413) may close before the body is written:
    // the answer still arrives, so a broken pipe is not the request's failure.
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') setTimeout(() => reject(error), 5000).unref();
      else reject(error);
    });
    if (c.declaredLength) request.flushHeaders();
    else request.end(payload);
  });
}

/** Everything a mistaken request could have changed. */
async function state(client: RestClient) {
  const namespaces = await client.request('GET', '/v1/default/namespaces');
  const properties = await client.request('GET', '/v1/default/namespaces/ns');
  const tables = await client.request('GET', '/v1/default/namespaces/ns/tables');
  const loaded = await client.loadTable(['ns'], 't');
  const clones = await client.request('GET', '/ext/v1/default/clones');
  const runs = await client.request('GET', '/ext/v1/gc/runs');
  return {
    namespaces: namespaces.body,
    properties: properties.body,
    tables: tables.body,
    metadataLocation: loaded.body['metadata-location'],
    clones: clones.body,
    runs: runs.body.runs.length,
  };
}

for (const backend of ['embedded', 'postgres'] as const) {
  describe(`bad input is a 4xx and changes nothing (${backend})`, { skip: backend === 'postgres' ? noPostgres : false }, () => {
    let catalog: CatalogProcess;
    let client: RestClient;
    let dataDir: string;
    let database: { url: string; drop: () => Promise<void> } | undefined;

    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'catalog-bad-input-'));
      if (backend === 'postgres') database = await createDatabase('badinput');
      catalog = await startCatalogProcess({
        entry: ['--max-old-space-size=192', '--import', 'tsx', 'src/cli.ts'],
        env: { CATALOG_DATA_DIR: dataDir, CATALOG_LOG_LEVEL: 'warn', ...(database ? { CATALOG_DATABASE_URL: database.url } : {}) },
      });
      client = new RestClient(catalog.baseUrl);
      assert.equal((await client.createNamespace(['ns'], { a: '1' })).status, 200);
      assert.equal((await client.createTable(['ns'], { name: 't', schema: simpleSchema })).status, 200);
    });

    after(async () => {
      catalog?.child.kill('SIGTERM');
      if (catalog) await exitOf(catalog);
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    });

    test('each mistake gets its 4xx in the Iceberg error model, and nothing changes', async () => {
      const before = await state(client);
      for (const c of CASES) {
        const answer = await send(catalog.baseUrl, c);
        assert.equal(answer.status, c.status, `${c.name}: expected ${c.status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
        const error = answer.body?.error;
        assert.ok(error && typeof error.message === 'string' && typeof error.type === 'string', `${c.name}: not an Iceberg error`);
        assert.equal(error.code, c.status, c.name);
        if (c.status === 405) assert.ok(answer.headers.allow, `${c.name}: no Allow header`);
        assert.deepEqual(await state(client), before, `${c.name} changed something`);
      }
      assert.equal(catalog.child.exitCode, null);
    });

    test('a cross-origin preflight gets no CORS grant', async () => {
      const response = await fetch(`${catalog.baseUrl}/v1/default/namespaces`, {
        method: 'OPTIONS',
        headers: { origin: 'http://attacker.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      await response.arrayBuffer();
      assert.equal(response.headers.get('access-control-allow-origin'), null);
      assert.ok(response.status >= 400, `preflight answered ${response.status}`);
    });

    test('limits that are met exactly are accepted', async () => {
      const deep = Array.from({ length: 16 }, (_, i) => `d${i}`);
      for (let depth = 1; depth <= 16; depth++) {
        assert.equal((await client.createNamespace(deep.slice(0, depth))).status, 200, `depth ${depth}`);
      }
      const long = ['é'.repeat(255), 'x'.repeat(255), 'y'.repeat(255)];
      for (let depth = 1; depth <= long.length; depth++) {
        assert.equal((await client.createNamespace(long.slice(0, depth))).status, 200);
      }
      // The longest namespace can still be addressed and dropped, and so can a 255-character table in it.
      const name = '€'.repeat(255);
      assert.equal((await client.createTable(long, { name, schema: simpleSchema })).status, 200);
      assert.equal((await client.request('DELETE', client.tablePath(long, name))).status, 204);
      assert.equal((await client.request('DELETE', `/v1/default/namespaces/${ns(long)}`)).status, 204);
      const page = await client.request('GET', '/v1/default/namespaces?pageToken=&pageSize=1000000000');
      assert.equal(page.status, 200);
      assert.ok(page.body.namespaces.length <= 1000);
    });
  });
}
