// childrenOf: the files each kind of object names. Manifest lists and manifests are the
// PyIceberg-written fixtures of test/fixtures/avro (see manifest-reader.test.ts); delete
// files and EXISTING entries, which those fixtures lack, come from a small manifest written here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { ChildObject } from '../../../src/db/object-index-repository.js';
import { TooManyRecordsError } from '../../../src/gc/avro-container.js';
import { childrenOf } from '../../../src/gc/object-indexer.js';
import { writeManifest } from '../../support/avro-files.js';

const fixture = (codec: string, file: string) => readFileSync(new URL(`../../fixtures/avro/${codec}/${file}`, import.meta.url));
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const byUri = (a: ChildObject, b: ChildObject) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0);

describe('childrenOf a metadata file', () => {
  it('names its statistics and partition statistics files, with canonical URIs and sizes', async () => {
    const metadata = {
      'format-version': 2,
      location: 's3://b/wh/t',
      statistics: [
        { 'snapshot-id': 1, 'statistics-path': 's3a://b/wh/t/metadata/1.stats', 'file-size-in-bytes': 413, 'blob-metadata': [] },
        { 'snapshot-id': 2, 'statistics-path': 'file:/tmp/x/t/metadata/2.stats', 'file-size-in-bytes': 97, 'blob-metadata': [] },
      ],
      'partition-statistics': [{ 'snapshot-id': 2, 'statistics-path': 's3://b/wh/t/metadata/2.parquet', 'file-size-in-bytes': 1024 }],
    };
    const children = await childrenOf('metadata', json(metadata));
    assert.deepEqual(children.sort(byUri), [
      { uri: 'file:///tmp/x/t/metadata/2.stats', kind: 'statistics', sizeBytes: 97 },
      { uri: 's3://b/wh/t/metadata/1.stats', kind: 'statistics', sizeBytes: 413 },
      { uri: 's3://b/wh/t/metadata/2.parquet', kind: 'partition-statistics', sizeBytes: 1024 },
    ]);
  });

  it('gives a statistics file without a size a null size', async () => {
    const children = await childrenOf('metadata', json({ statistics: [{ 'statistics-path': 's3://b/wh/t/metadata/1.stats' }] }));
    assert.deepEqual(children, [{ uri: 's3://b/wh/t/metadata/1.stats', kind: 'statistics', sizeBytes: null }]);
  });

  it('names nothing when the document has no statistics (snapshots are not its children)', async () => {
    const metadata = {
      'format-version': 2,
      location: 's3://b/wh/t',
      snapshots: [{ 'snapshot-id': 1, 'manifest-list': 's3://b/wh/t/metadata/snap-1.avro' }],
      statistics: [],
    };
    assert.deepEqual(await childrenOf('metadata', json(metadata)), []);
  });

  it('rejects a metadata file that is not JSON', async () => {
    await assert.rejects(childrenOf('metadata', new TextEncoder().encode('{"statistics": [')));
  });
});

describe('childrenOf files without children', () => {
  it('names nothing for data, delete and statistics files, whatever their bytes', async () => {
    for (const kind of ['data', 'position-deletes', 'equality-deletes', 'statistics', 'partition-statistics'] as const) {
      assert.deepEqual(await childrenOf(kind, new TextEncoder().encode('PAR1 not parsed')), [], kind);
    }
  });
});

for (const codec of ['gzip', 'zstd', 'snappy']) {
  describe(`childrenOf the ${codec} fixtures`, () => {
    const expected = JSON.parse(fixture(codec, 'expected.json').toString()) as {
      manifests: string[];
      'manifest-lengths': number[];
      'live-data-files': string[];
      entries: { status: string; path: string }[];
    };

    it('a manifest list names its manifests, with their lengths', async () => {
      const children = await childrenOf('manifest-list', fixture(codec, 'manifest-list.avro'));
      assert.deepEqual(
        children,
        expected.manifests.map((uri, i) => ({ uri, kind: 'manifest', sizeBytes: expected['manifest-lengths'][i] })),
      );
    });

    it('manifests name only their live entries: the live data files, never a DELETED entry', async () => {
      const children = (
        await Promise.all(expected.manifests.map((_, i) => childrenOf('manifest', fixture(codec, `manifest-${i}.avro`))))
      ).flat();
      assert.deepEqual(children.map((c) => c.uri).sort(), expected['live-data-files']);
      assert.ok(children.every((c) => c.kind === 'data' && typeof c.sizeBytes === 'number' && c.sizeBytes > 0));
      const deleted = expected.entries.filter((e) => e.status === 'deleted').map((e) => e.path);
      assert.ok(deleted.length > 0, 'the fixture has a DELETED entry');
      assert.ok(deleted.every((path) => !children.some((c) => c.uri === path)));
    });

    it('rejects malformed or truncated bytes rather than naming fewer files', async () => {
      await assert.rejects(childrenOf('manifest-list', Buffer.from('not avro at all')));
      await assert.rejects(childrenOf('manifest', Buffer.from('not avro at all')));
      const manifest = fixture(codec, 'manifest-0.avro');
      await assert.rejects(childrenOf('manifest', manifest.subarray(0, manifest.length - 20)));
      const list = fixture(codec, 'manifest-list.avro');
      await assert.rejects(childrenOf('manifest-list', list.subarray(0, list.length - 20)));
    });
  });
}

describe('childrenOf manifests written here', () => {
  it('takes each child\'s kind from its content and keeps EXISTING and ADDED entries', async () => {
    const EXISTING = 0;
    const ADDED = 1;
    const DELETED = 2;
    const manifest = await writeManifest([
      { status: EXISTING, content: 0, path: 's3a://b/wh/t/data/a.parquet', size: 100 },
      { status: ADDED, content: 1, path: 's3://b/wh/t/data/pos.parquet', size: 20 },
      { status: ADDED, content: 2, path: 'file:/tmp/x/t/data/eq.parquet', size: 30 },
      { status: DELETED, content: 1, path: 's3://b/wh/t/data/old-pos.parquet', size: 40 },
    ]);
    const children = await childrenOf('manifest', manifest);
    assert.deepEqual(children.sort(byUri), [
      { uri: 'file:///tmp/x/t/data/eq.parquet', kind: 'equality-deletes', sizeBytes: 30 },
      { uri: 's3://b/wh/t/data/a.parquet', kind: 'data', sizeBytes: 100 },
      { uri: 's3://b/wh/t/data/pos.parquet', kind: 'position-deletes', sizeBytes: 20 },
    ]);
  });

  // Iceberg writers write codec "null" when compression is off (write.avro.compression-codec=uncompressed).
  it('reads an uncompressed manifest', async () => {
    const manifest = await writeManifest([{ status: 1, content: 0, path: 's3://b/wh/t/data/a.parquet', size: 100 }], 'null');
    assert.deepEqual(await childrenOf('manifest', manifest), [{ uri: 's3://b/wh/t/data/a.parquet', kind: 'data', sizeBytes: 100 }]);
  });
});

describe('childrenOf within limits', () => {
  const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ status: 1, content: 0, path: `s3://b/wh/t/data/${i}.parquet`, size: 1 }));

  it('refuses a manifest with more entries than allowed, and reads one at the limit', async () => {
    const manifest = await writeManifest(entries(10));
    await assert.rejects(childrenOf('manifest', manifest, { maxRecords: 9 }), TooManyRecordsError);
    assert.equal((await childrenOf('manifest', manifest, { maxRecords: 10 })).length, 10);
  });

  it('refuses a compressed manifest that inflates past the cap (a small file can inflate a thousandfold)', async () => {
    const manifest = await writeManifest(entries(20_000));
    assert.ok(manifest.length < 200_000, `compressed to ${manifest.length} bytes`);
    await assert.rejects(childrenOf('manifest', manifest, { maxDecodedBytes: 100_000 }), /inflates past the cap/);
    assert.equal((await childrenOf('manifest', manifest, { maxDecodedBytes: 10_000_000 })).length, 20_000);
  });

  it('skips the fields it does not need: a manifest with statistics decodes to the same children', async () => {
    for (const codec of ['gzip', 'zstd', 'snappy']) {
      const children = await childrenOf('manifest', fixture(codec, 'manifest-0.avro'), { maxDecodedBytes: 1_000_000, maxRecords: 1000 });
      assert.ok(children.length > 0 && children.every((c) => c.uri.startsWith('s3://')), codec);
    }
  });
});
