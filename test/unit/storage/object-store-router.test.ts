// The router picks a store by URI scheme: s3, s3a and s3n are one; file:/x (Hadoop's spelling)
// is file:///x; anything else has no store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryObjectStore } from '../../../src/storage/memory-store.js';
import { ObjectStoreRouter } from '../../../src/storage/object-store.js';

describe('ObjectStoreRouter', () => {
  const file = new MemoryObjectStore();
  const s3 = new MemoryObjectStore();
  const router = new ObjectStoreRouter({ file, s3 });

  it('routes file:///x and file:/x to the local store, s3a:// and s3n:// to S3', async () => {
    await router.put('file:/w/a.json', 'a');
    await router.put('file:///w/b.json', 'b');
    await router.put('s3a://bucket/c', 'c');
    await router.put('S3N://bucket/d', 'd');
    assert.ok(await file.get('file:/w/a.json'));
    assert.ok(await file.get('file:///w/b.json'));
    assert.ok(await s3.get('s3a://bucket/c'));
    assert.ok(await s3.get('S3N://bucket/d'));
  });

  it('refuses what no store serves: another scheme, a relative path, file: without a path', async () => {
    await assert.rejects(async () => router.put('gs://bucket/x', 'x'), /No object store is configured/);
    await assert.rejects(async () => router.put('/w/x', 'x'), /No object store is configured/);
    await assert.rejects(async () => router.put('file:x', 'x'), /No object store is configured/);
  });
});
