// A clone stops listing its source's location once it reaches none of its files (the
// collector's `sources` phase, src/gc/source-release.ts): then storage settings, vended keys
// and signatures for it no longer cover the source. A clone that still shares files keeps
// it. On Postgres and on the embedded database. Files are real Avro manifests the indexer reads.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { stringifyJson } from '../../src/json/int64-json.js';
import { fileUriToPath } from '../../src/storage/filesystem-store.js';
import { writeManifest, writeManifestList } from '../support/avro-files.js';
import { RestClient, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const GC_ENV = { CATALOG_GC_GRACE_MS: '0', CATALOG_GC_SCHEDULE: 'off', CATALOG_GC_ORPHAN_SCHEDULE: 'off' };

for (const backend of ['postgres', 'embedded'] as const) {
  describe(`releasing clone-source locations (${backend})`, { skip: backend === 'postgres' && noPostgres }, () => {
    let catalog: TestCatalog;
    let database: { url: string; drop: () => Promise<void> } | undefined;
    let client: RestClient;

    before(async () => {
      database = backend === 'postgres' ? await createDatabase('source_release') : undefined;
      catalog = await startTestCatalog({ databaseUrl: database?.url ?? '', env: GC_ENV });
      client = new RestClient(catalog.baseUrl);
      await client.createNamespace(['sr']);
    });

    after(async () => {
      await catalog?.close();
      await database?.drop();
    });

    const sourcesOf = async (name: string) => {
      const rows = await sql<{ source_locations: string[] }>`SELECT source_locations FROM iceberg_table WHERE name = ${name} AND dropped_at IS NULL`.execute(catalog.database.db);
      return rows.rows[0].source_locations;
    };
    const collect = async () => {
      const r = await client.request('POST', '/ext/v1/gc/runs', { wait: true });
      assert.equal(r.body.status, 'succeeded', stringifyJson(r.body));
      return r.body;
    };

    /** A snapshot naming one new data file under the table's own location, as the current one. */
    async function commitOwnFile(table: string, extra: object[] = []) {
      const loaded = await client.loadTable(['sr'], table);
      const location: string = loaded.body.metadata.location;
      const id = bigSnapshotId();
      const data = `${location}/data/${id}.parquet`;
      const manifest = `${location}/metadata/m-${id}.avro`;
      const list = `${location}/metadata/snap-${id}.avro`;
      const manifestBytes = await writeManifest([{ status: 1, content: 0, path: data, size: 4 }]);
      const listBytes = await writeManifestList([{ path: manifest, length: manifestBytes.length }]);
      for (const [uri, bytes] of [[data, Buffer.from('data')], [manifest, manifestBytes], [list, listBytes]] as const) {
        await mkdir(dirname(fileUriToPath(uri)), { recursive: true });
        await writeFile(fileUriToPath(uri), bytes);
      }
      const parent = loaded.body.metadata['current-snapshot-id'];
      const snapshot = {
        'snapshot-id': id,
        ...(parent == null || parent === -1 ? {} : { 'parent-snapshot-id': parent }),
        'sequence-number': (loaded.body.metadata['last-sequence-number'] ?? 0) + 1,
        'timestamp-ms': Date.now(),
        'manifest-list': list,
        summary: { operation: 'overwrite' },
        'schema-id': 0,
      };
      const r = await client.commit(['sr'], table, [], [
        { action: 'add-snapshot', snapshot },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
        ...extra,
      ]);
      assert.equal(r.status, 200, stringifyJson(r.body));
      return { id, parent };
    }

    test('a clone that still shares files keeps its source; one that diverged and let go of them loses it', async () => {
      // One metadata file kept in the log: the clone's first one (which lists the shared snapshot) leaves it soon.
      assert.equal((await client.createTable(['sr'], { name: 'src', schema: simpleSchema, properties: { 'write.metadata.previous-versions-max': '1' } })).status, 200);
      await commitOwnFile('src');
      for (const name of ['kept', 'diverged']) {
        const r = await client.request('POST', '/ext/v1/default/namespaces/sr/tables/src/clone', { destination: { namespace: ['sr'], name } });
        assert.equal(r.status, 200, stringifyJson(r.body));
      }
      const source = (await client.loadTable(['sr'], 'src')).body.metadata.location;
      assert.deepEqual(await sourcesOf('diverged'), [source]);

      // The diverged clone rewrites everything on its own and drops the shared snapshot.
      const { parent: shared } = await commitOwnFile('diverged');
      const removed = await client.commit(['sr'], 'diverged', [], [{ action: 'remove-snapshots', 'snapshot-ids': [shared] }]);
      assert.equal(removed.status, 200, stringifyJson(removed.body));
      for (let i = 0; i < 2; i++) assert.equal((await client.commit(['sr'], 'diverged', [], [{ action: 'set-properties', updates: { step: String(i) } }])).status, 200);

      const run = await collect();
      assert.deepEqual(await sourcesOf('kept'), [source], 'still reads the source\'s files');
      assert.deepEqual(await sourcesOf('diverged'), [], 'reaches nothing under the source any more');
      assert.equal(run.counts['source-locations-released'], 1);
      // A second run has nothing more to release, and the source still reads.
      assert.equal((await collect()).counts['source-locations-released'], 0);
      assert.equal((await client.loadTable(['sr'], 'src')).status, 200);
    });

    test('nothing is released while the index does not know the clone\'s files yet (a dry run leaves lists alone)', async () => {
      assert.equal((await client.createTable(['sr'], { name: 'src2', schema: simpleSchema })).status, 200);
      await commitOwnFile('src2');
      const r = await client.request('POST', '/ext/v1/default/namespaces/sr/tables/src2/clone', { destination: { namespace: ['sr'], name: 'fresh' } });
      assert.equal(r.status, 200);
      const dry = await client.request('POST', '/ext/v1/gc/runs', { wait: true, 'dry-run': true });
      assert.equal(dry.body.status, 'succeeded');
      assert.equal(dry.body.counts['source-locations-released'], undefined);
      assert.equal((await sourcesOf('fresh')).length, 1);
      await collect();
      assert.equal((await sourcesOf('fresh')).length, 1, 'shares the source\'s snapshot');
    });
  });
}
