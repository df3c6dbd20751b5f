// The audit log on the embedded default (PGlite, authentication off on loopback: what a new
// user's `npm start` runs), in a real catalog process: mutations are events of the anonymous
// administrator, readable over HTTP and written as JSON log lines; a graceful stop stores the
// last ones before the database closes, so they are there after a restart.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exitOf, startCatalogProcess, type CatalogProcess } from '../support/catalog-process.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';

describe('audit log on the embedded default', () => {
  let dataDir: string;
  let catalog: CatalogProcess | undefined;
  const start = async () => {
    catalog = await startCatalogProcess({
      entry: ['--import', 'tsx', 'src/cli.ts'],
      env: { CATALOG_DATA_DIR: dataDir, CATALOG_LOG_LEVEL: 'info' },
      captureLog: true,
    });
    return new RestClient(catalog.baseUrl);
  };
  const stop = async () => {
    catalog!.child.kill('SIGTERM');
    assert.equal(await exitOf(catalog!), 0);
    catalog = undefined;
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'catalog-audit-embedded-'));
  });

  after(async () => {
    if (catalog) {
      catalog.child.kill('SIGKILL');
      await exitOf(catalog);
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  test('mutations are events, in the log lines and, after a graceful restart, in the database', async () => {
    let client = await start();
    assert.equal((await client.createNamespace(['ns'])).status, 200);
    assert.equal((await client.createTable(['ns'], { name: 't', schema: simpleSchema })).status, 200);
    assert.equal((await client.loadTable(['ns'], 't')).status, 200);
    const clone = await client.request('POST', '/ext/v1/default/namespaces/ns/tables/t/clone', { destination: { namespace: ['ns'], name: 'c' } });
    assert.equal(clone.status, 200);
    const drop = await client.request('DELETE', `${client.tablePath(['ns'], 'c')}?purgeRequested=true`);
    assert.equal(drop.status, 204);
    // The line is written once the answer has gone out: wait for it (a bounded wait).
    const auditLines = () => catalog!.log.map((line) => JSON.parse(line)).filter((line) => line.msg === 'audit');
    for (let i = 0; i < 40 && auditLines().length < 4; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = auditLines();
    assert.deepEqual(lines.map((l) => l.audit.action), ['createNamespace', 'createTable', 'cloneTable', 'dropTable'], 'a load is no event');
    assert.ok(lines.every((l) => l.audit.principal === 'anonymous' && l.audit.via === 'anonymous'));
    // Stopped right away: the events still waiting for their batch are stored before the pool closes.
    await stop();
    client = await start();
    const stored = await client.request('GET', '/ext/v1/audit');
    assert.equal(stored.status, 200, JSON.stringify(stored.body));
    assert.deepEqual(stored.body.events.map((e: { action: string }) => e.action).reverse(), ['createNamespace', 'createTable', 'cloneTable', 'dropTable']);
    assert.equal(stored.body.events[0]['request-id'], drop.headers.get('x-request-id'));
    assert.deepEqual(stored.body.events[0].detail, { purge: true });
    await stop();
  });
});
