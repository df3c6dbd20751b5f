// One contract for every object store: the in-memory twin and the local directory here (the
// S3 store runs the same operations against a real S3 server in test/integration).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FilesystemObjectStore, fileUri } from '../../../src/storage/filesystem-store.js';
import { MemoryObjectStore } from '../../../src/storage/memory-store.js';
import type { ObjectStore } from '../../../src/storage/object-store.js';

const scratch = await mkdtemp(join(tmpdir(), 'store-contract-'));
after(() => rm(scratch, { recursive: true, force: true }));

const stores: [string, ObjectStore, string][] = [
  ['memory', new MemoryObjectStore(), 'memory://bucket/wh'],
  ['filesystem', new FilesystemObjectStore(), fileUri(join(scratch, 'wh'))],
];

for (const [name, store, root] of stores) {
  describe(`${name} object store`, () => {
    it('puts and gets bytes and text; a missing object is undefined', async () => {
      await store.put(`${root}/t/metadata/00000.metadata.json`, '{"a":1}');
      await store.put(`${root}/t/data/part-0.parquet`, new Uint8Array([1, 2, 3]));
      assert.equal(new TextDecoder().decode(await store.get(`${root}/t/metadata/00000.metadata.json`)), '{"a":1}');
      assert.deepEqual([...(await store.get(`${root}/t/data/part-0.parquet`))!], [1, 2, 3]);
      assert.equal(await store.get(`${root}/t/missing`), undefined);
    });

    it('lists what lies under a prefix, with sizes, and nothing of a sibling prefix', async () => {
      await store.put(`${root}/t2/x`, 'sibling');
      const listed: { uri: string; size: number }[] = [];
      for await (const object of store.list(`${root}/t`)) listed.push(object);
      assert.deepEqual(listed.map((o) => o.uri).sort(), [`${root}/t/data/part-0.parquet`, `${root}/t/metadata/00000.metadata.json`]);
      assert.equal(listed.find((o) => o.uri.endsWith('.parquet'))!.size, 3);
    });

    it('deletes, and deleting what is already gone is not an error', async () => {
      await store.delete([`${root}/t/data/part-0.parquet`, `${root}/t/never-existed`]);
      await store.delete([`${root}/t/data/part-0.parquet`]);
      assert.equal(await store.get(`${root}/t/data/part-0.parquet`), undefined);
    });
  });
}
