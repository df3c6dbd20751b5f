// What operators see: request ids, one JSON log line per request without credentials, 5xx
// bodies naming the request id, a deadline on every request, and the Prometheus metrics
// (requests by route and status, commit conflicts and retries, pool, clones) on their port.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

interface LogLine {
  msg: string;
  level: number;
  reqId?: string;
  method?: string;
  path?: string;
  route?: string;
  status?: number;
  durationMs?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The value of one sample of the exposition text, or undefined when absent. */
function sample(metrics: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) return Number(match[4]);
  }
  return undefined;
}

describe('request ids, logs and metrics', { skip: noPostgres }, () => {
  let database: { url: string; drop: () => Promise<void> };
  let catalog: TestCatalog;
  let client: RestClient;
  let metricsServer: Server;
  let metricsUrl: string;
  const log: string[] = [];
  const lines = () => log.map((l) => JSON.parse(l) as LogLine);

  before(async () => {
    database = await createDatabase('observability');
    catalog = await startTestCatalog({
      databaseUrl: database.url,
      env: { CATALOG_LOG_LEVEL: 'info' },
      log,
      // A route that outlives the deadline and one that fails unexpectedly, added to the real
      // application (the catalog serves neither) to reach those two paths on demand.
      extend: (app) => {
        // Its own short deadline, so the catalog's routes keep the configured one.
        app.get('/test/slow', { handlerTimeout: 300 }, async () => {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          return { late: true };
        });
        app.get('/test/crash', async () => {
          throw new Error('an internal detail');
        });
        // What an SDK error logged whole can carry: the request it sent, with credentials.
        app.get('/test/log-credentials', async (request) => {
          request.log.error(
            {
              err: { message: 'upstream refused', request: { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDSECRET1' } } },
              upstream: { credentials: { secretAccessKey: 'SECRET2' }, password: 'SECRET3' },
            },
            'upstream call failed',
          );
          return { logged: true };
        });
      },
    });
    client = new RestClient(catalog.baseUrl);
    metricsServer = await catalog.deps.metrics.listen('127.0.0.1', 0);
    const address = metricsServer.address();
    metricsUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/metrics`;
  });

  after(async () => {
    metricsServer?.close();
    await catalog?.close();
    await database?.drop();
  });

  test('every answer carries a request id; a sane caller id is kept, any other replaced', async () => {
    const fresh = await client.request('GET', '/v1/config');
    assert.match(fresh.headers.get('x-request-id') ?? '', UUID);
    const kept = await client.request('GET', '/v1/config', undefined, { 'x-request-id': 'lb-1234.abc:7' });
    assert.equal(kept.headers.get('x-request-id'), 'lb-1234.abc:7');
    const replaced = await client.request('GET', '/v1/config', undefined, { 'x-request-id': 'x'.repeat(200) });
    assert.match(replaced.headers.get('x-request-id') ?? '', UUID);
    const notFound = await client.request('GET', '/v1/default/namespaces/nope', undefined, { 'x-request-id': 'trace-404' });
    assert.equal(notFound.status, 404);
    assert.equal(notFound.headers.get('x-request-id'), 'trace-404');
    assert.equal(notFound.body.error['request-id'], undefined, '4xx bodies stay as the spec has them');
  });

  test('one JSON line per request, with id, route, status and duration, and no credentials', async () => {
    log.length = 0;
    const secret = 'Bearer s3cr3t-t0ken';
    await client.request('GET', '/v1/default/namespaces', undefined, { authorization: secret, 'x-request-id': 'one-line-1' });
    await client.request('POST', '/v1/default/namespaces', { namespace: ['logged'] }, { 'x-request-id': 'one-line-2' });
    await client.request('GET', '/health/live'); // probes log at debug level: not at info
    const requestLines = lines().filter((l) => l.msg === 'request');
    assert.deepEqual(
      requestLines.map((l) => [l.reqId, l.method, l.route, l.status]),
      [
        ['one-line-1', 'GET', '/v1/:prefix/namespaces', 200],
        ['one-line-2', 'POST', '/v1/:prefix/namespaces', 200],
      ],
    );
    assert.ok(requestLines.every((l) => typeof l.durationMs === 'number' && l.durationMs >= 0));
    assert.equal(lines().filter((l) => l.reqId === 'one-line-1').length, 1, 'exactly one line for the request');
    assert.ok(!log.some((l) => l.includes('s3cr3t')), 'the authorization header is never logged');
    await client.request('GET', '/test/log-credentials');
    const logged = lines().find((l) => l.msg === 'upstream call failed');
    assert.ok(logged, 'the error was logged');
    assert.match(JSON.stringify(logged), /\[redacted\]/);
    assert.ok(!log.some((l) => /AKIDSECRET1|SECRET2|SECRET3/.test(l)), 'credentials nested in a logged error are redacted');
    assert.ok(!log.some((l) => l.includes(database.url)), 'the database URL is never logged');
  });

  test('a request past its deadline is answered 503 with its request id; a crash is a 500 with it', async () => {
    // Fastify's types do not list it yet, though initialConfig carries it.
    const initial = catalog.app.initialConfig as { handlerTimeout?: number };
    assert.equal(initial.handlerTimeout, catalog.config.requestTimeoutMs, 'every route has the configured deadline');
    const slow = await client.request('GET', '/test/slow', undefined, { 'x-request-id': 'slow-1' });
    assert.equal(slow.status, 503);
    assert.equal(slow.body.error.type, 'ServiceUnavailableException');
    assert.equal(slow.body.error['request-id'], 'slow-1');
    assert.match(slow.body.error.message, /slow-1/);
    const crash = await client.request('GET', '/test/crash', undefined, { 'x-request-id': 'crash-1' });
    assert.equal(crash.status, 500);
    assert.equal(crash.body.error['request-id'], 'crash-1');
    assert.ok(!JSON.stringify(crash.body).includes('internal detail'), 'internals stay in the log');
    const errorLine = lines().find((l) => l.reqId === 'crash-1' && l.msg === 'unexpected error');
    assert.ok(errorLine, 'the log line of the failure carries the same request id');
  });

  test('/metrics: requests by route and status, commit conflicts and retries, pool and clones', async () => {
    const ns = ['metered'];
    assert.equal((await client.createNamespace(ns)).status, 200);
    assert.equal((await client.createTable(ns, { name: 't', schema: simpleSchema })).status, 200);
    // A requirement that does not hold: 409 CommitFailedException.
    const refused = await client.commit(ns, 't', [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 1 }], [
      { action: 'set-properties', updates: { a: 'b' } },
    ]);
    assert.equal(refused.status, 409);
    // Concurrent commits without requirements: lost swaps are retried inside the catalog.
    const concurrent = await Promise.all(
      Array.from({ length: 12 }, (_, i) => client.commit(ns, 't', [], [{ action: 'set-properties', updates: { [`k${i}`]: 'v' } }])),
    );
    assert.ok(concurrent.every((r) => r.status === 200));
    const clone = await client.request('POST', `/ext/v1/default/namespaces/${client.ns(ns)}/tables/t/clone`, {
      destination: { namespace: ns, name: 't_clone' },
      'ttl-seconds': 3600,
    });
    assert.equal(clone.status, 200, JSON.stringify(clone.body));
    const run = await client.request('POST', '/ext/v1/gc/runs', { 'dry-run': true, wait: true });
    assert.equal(run.status, 200, JSON.stringify(run.body));

    const response = await fetch(metricsUrl);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    const route = '/v1/:prefix/namespaces/:namespace/tables/:table';
    assert.equal(sample(text, 'catalog_http_requests_total', { method: 'POST', route, status: '409' }), 1);
    assert.equal(sample(text, 'catalog_http_requests_total', { method: 'POST', route, status: '200' }), 12);
    assert.equal(sample(text, 'catalog_http_request_duration_seconds_count', { method: 'POST', route, status: '200' }), 12);
    assert.ok(sample(text, 'catalog_http_request_duration_seconds_bucket', { method: 'POST', route, status: '200', le: '+Inf' }) === 12);
    assert.equal(sample(text, 'catalog_commit_conflicts_total', { route }), 1);
    // Twelve commits of one table at once: all but the first to swap lose at least once.
    assert.ok((sample(text, 'catalog_commit_retries_total') ?? 0) > 0, 'lost swaps retried inside the catalog are counted');
    assert.equal(sample(text, 'catalog_db_pool_connections', { state: 'max' }), catalog.config.databasePoolSize);
    assert.ok((sample(text, 'catalog_db_pool_connections', { state: 'open' }) ?? 0) >= 1);
    assert.ok(sample(text, 'catalog_db_pool_waiting_requests') !== undefined);
    assert.equal(sample(text, 'catalog_clones', { ttl: 'true' }), 1);
    assert.equal(sample(text, 'catalog_clones', { ttl: 'false' }), 0);
    assert.equal(sample(text, 'catalog_gc_runs_total', { status: 'succeeded' }), 1, 'the dry run above');
    assert.ok(text.includes('process_resident_memory_bytes'), 'process metrics too');
    assert.equal((await fetch(metricsUrl.replace('/metrics', '/other'))).status, 404);
  });
});
