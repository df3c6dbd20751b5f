// A clone with a TTL disappears on time, and with two catalog processes running against the
// same database it is dropped exactly once (one process's log reports it, the other's not).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exitOf, startCatalogProcess, type CatalogProcess } from '../support/catalog-process.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres } from '../support/test-catalog.js';

type Replica = CatalogProcess;

function startReplica(databaseUrl: string, dataDir: string): Promise<Replica> {
  return startCatalogProcess({
    entry: ['--import', 'tsx', 'src/cli.ts'],
    env: {
      CATALOG_DATA_DIR: dataDir,
      CATALOG_DATABASE_URL: databaseUrl,
      CATALOG_LOG_LEVEL: 'info',
      CATALOG_CLONE_EXPIRY_INTERVAL_MS: '250',
    },
    captureLog: true,
  });
}

const expiryReports = (replica: Replica) =>
  replica.log
    .map((line) => {
      try {
        return JSON.parse(line) as { job?: string; dropped?: string[] };
      } catch {
        return {};
      }
    })
    .filter((entry) => entry.job === 'clone-expiry')
    .flatMap((entry) => entry.dropped ?? []);

describe('clone expiry with two catalog processes', { skip: noPostgres }, () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataDir: string;
  const replicas: Replica[] = [];

  before(async () => {
    database = await createDatabase('expiry');
    dataDir = await mkdtemp(join(tmpdir(), 'catalog-replicas-'));
    // The first replica migrates and creates the warehouse; the second finds both done.
    replicas.push(await startReplica(database.url, dataDir));
    replicas.push(await startReplica(database.url, dataDir));
  });

  after(async () => {
    for (const r of replicas) r.child.kill('SIGTERM');
    await Promise.all(replicas.map(exitOf));
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('a clone with a short TTL is dropped on time, once', async () => {
    const [a, b] = replicas.map((r) => new RestClient(r.baseUrl));
    await a.createNamespace(['ttl']);
    await a.createTable(['ttl'], { name: 'source', schema: simpleSchema });
    const cloned = await b.request('POST', '/ext/v1/default/namespaces/ttl/tables/source/clone', {
      destination: { namespace: ['ttl'], name: 'short_lived' },
      'ttl-seconds': 1,
    });
    assert.equal(cloned.status, 200, JSON.stringify(cloned.body));
    assert.equal((await a.loadTable(['ttl'], 'short_lived')).status, 200);

    const deadline = Date.now() + 10_000;
    while ((await a.loadTable(['ttl'], 'short_lived')).status !== 404) {
      assert.ok(Date.now() < deadline, 'the clone was not dropped within 10 s of its expiry');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await b.loadTable(['ttl'], 'short_lived')).status, 404);
    assert.equal((await a.loadTable(['ttl'], 'source')).status, 200, 'the source is untouched');
    await new Promise((r) => setTimeout(r, 600)); // both replicas run their job again
    const reports = [...expiryReports(replicas[0]), ...expiryReports(replicas[1])];
    assert.deepEqual(reports, ['short_lived'], 'exactly one replica dropped it, once');
  });
});
