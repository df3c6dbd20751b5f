// A commit whose compare-and-swap reached Postgres and committed, but whose answer was lost
// with the connection: the outcome is unknown to the catalog, so it answers 503 and must keep
// the metadata file it wrote (the table may name it, and here does). Deleting it on every
// error, as the cleanup once did, left a table whose current metadata file was gone.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileUriToPath } from '../../src/storage/filesystem-store.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const exists = (path: string) => stat(path).then(() => true, () => false);

describe('a commit whose outcome is unknown', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let server: net.Server;
  let armed = false;

  before(async () => {
    database = await createDatabase('ambig');
    const target = new URL(database.url);
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      let dropping = false;
      client.on('data', (chunk) => {
        upstream.write(chunk);
        if (armed && chunk.toString('latin1').includes('UPDATE iceberg_table')) {
          armed = false;
          dropping = true;
          // The server runs and commits the statement; its answer never reaches the catalog.
          setTimeout(() => {
            client.destroy();
            upstream.destroy();
          }, 300);
        }
      });
      upstream.on('data', (chunk) => {
        if (!dropping) client.write(chunk);
      });
      for (const s of [client, upstream]) s.on('error', () => s.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const proxied = new URL(database.url);
    proxied.port = String((server.address() as net.AddressInfo).port);
    catalog = await startTestCatalog({ databaseUrl: proxied.toString(), env: { CATALOG_GC_SCHEDULE: 'off', CATALOG_GC_ORPHAN_SCHEDULE: 'off' } });
  });

  after(async () => {
    await catalog?.close();
    server?.close();
    await database?.drop();
  });

  test('the committed metadata file survives a lost answer', async () => {
    const client = new RestClient(catalog.baseUrl);
    await client.createNamespace(['a']);
    assert.equal((await client.createTable(['a'], { name: 't', schema: simpleSchema })).status, 200);
    armed = true;
    const r = await client.commit(['a'], 't', [], [{ action: 'set-properties', updates: { k: 'v' } }]);
    assert.equal(r.status, 503, 'an unknown outcome is a 5xx, which Iceberg clients check before retrying');
    const loaded = await client.loadTable(['a'], 't');
    assert.equal(loaded.body.metadata.properties.k, 'v', 'the swap did land');
    const file = fileUriToPath(loaded.body['metadata-location']);
    assert.ok(await exists(file), `the table's current metadata file ${file} is gone`);
  });
});
