// One contract for every object store: the in-memory twin and the local directory here (the
// S3 store runs the same operations against a real S3 server in test/integration).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FilesystemObjectStore, fileUri } from '../../../src/storage/filesystem-store.js';
import { MemoryObjectStore } from '../../../src/storage/memory-store.js';
import { RefusedObjectError, type ObjectStore } from '../../../src/storage/object-store.js';

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

    it('confines reads, writes and deletes to the root given: outside it nothing is touched', async () => {
      await store.put(`${root}/other/x`, 'kept');
      const refused = (error: unknown) => error instanceof RefusedObjectError && /outside the warehouse root/.test(error.reason);
      await assert.rejects(store.get(`${root}/other/x`, { root: `${root}/t` }), refused);
      await assert.rejects(store.put(`${root}/other/y`, 'x', { root: `${root}/t` }), refused);
      // A sibling whose name starts with the root's is outside it too.
      await assert.rejects(store.get(`${root}/t2/x`, { root: `${root}/t` }), refused);
      const outcome = await store.delete([`${root}/other/x`, `${root}/t/metadata/00000.metadata.json`], { root: `${root}/t` });
      assert.deepEqual(outcome.refused.map((r) => r.uri), [`${root}/other/x`]);
      assert.equal(new TextDecoder().decode(await store.get(`${root}/other/x`)), 'kept');
      assert.equal(await store.get(`${root}/t/metadata/00000.metadata.json`), undefined);
    });

    it('refuses an object over the size cap, and stops at an aborted signal', async () => {
      await store.put(`${root}/t/metadata/big.json`, 'x'.repeat(100));
      await assert.rejects(
        store.get(`${root}/t/metadata/big.json`, { maxBytes: 99 }),
        (error: unknown) => error instanceof RefusedObjectError && /100 bytes, over the 99-byte cap/.test(error.reason),
      );
      assert.equal((await store.get(`${root}/t/metadata/big.json`, { maxBytes: 100 }))!.byteLength, 100);
      const aborted = AbortSignal.abort(new Error('stop'));
      await assert.rejects(store.get(`${root}/t/metadata/big.json`, { signal: aborted }), /stop/);
    });
  });
}
