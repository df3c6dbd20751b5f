// While Postgres is unreachable the catalog answers 503 (never 500) and recovers on its own
// when the database comes back, with no restart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RestClient } from '../support/rest-client.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

describe('database outage', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let proxy: TcpProxy;
  let dropDatabase: () => Promise<void>;

  before(async () => {
    const database = await createDatabase('outage');
    dropDatabase = database.drop;
    const target = new URL(database.url);
    proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.open();
    const viaProxy = new URL(database.url);
    viaProxy.port = String(proxy.port);
    catalog = await startTestCatalog({
      databaseUrl: viaProxy.toString(),
      env: { CATALOG_DATABASE_CONNECT_TIMEOUT_MS: '1000' },
    });
  });

  after(async () => {
    await catalog?.close().catch(() => undefined);
    await proxy?.cut();
    await dropDatabase?.();
  });

  test('503 while the database is down, service again once it is back', async () => {
    const client = new RestClient(catalog.baseUrl);
    assert.equal((await client.createNamespace(['before'])).status, 200);

    await proxy.cut();
    for (const request of [
      () => client.request('GET', '/v1/default/namespaces/before'),
      () => client.createNamespace(['during']),
      () => client.request('GET', '/v1/default/namespaces'),
    ]) {
      const response = await request();
      assert.equal(response.status, 503, `expected 503, got ${response.status}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.type, 'ServiceUnavailableException');
      assert.equal(response.headers.get('retry-after'), '1');
    }
    const ready = await client.request('GET', '/health/ready');
    assert.equal(ready.status, 503);

    await proxy.open();
    const back = await client.request('GET', '/v1/default/namespaces/before');
    assert.equal(back.status, 200);
    assert.equal((await client.createNamespace(['after'])).status, 200);
    assert.equal((await client.request('GET', '/health/ready')).status, 200);
  });
});
