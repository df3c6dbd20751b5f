// The S3 object store against a real S3-compatible server (moto, started by the test script).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ObjectTooLargeError, RefusedObjectError } from '../../src/storage/object-store.js';
import { S3ObjectStore } from '../../src/storage/s3-store.js';
import { s3Endpoint } from '../support/test-catalog.js';

describe('S3 object store', { skip: s3Endpoint ? false : 'CATALOG_TEST_S3_ENDPOINT is not set (run through npm test)' }, () => {
  const store = new S3ObjectStore({ endpoint: s3Endpoint, region: 'us-east-1', forcePathStyle: true });
  const root = `s3://warehouse/it-${Math.random().toString(36).slice(2)}`;

  test('put, get, list, delete; a missing object is undefined and deleting it again is fine', async () => {
    await store.put(`${root}/a/one.json`, '{"one":1}');
    await store.put(`${root}/a/two.bin`, new Uint8Array([1, 2, 3]));
    await store.put(`${root}b/other.json`, 'not under the prefix');
    assert.equal(new TextDecoder().decode(await store.get(`${root}/a/one.json`)), '{"one":1}');
    assert.deepEqual([...(await store.get(`${root}/a/two.bin`))!], [1, 2, 3]);
    assert.equal(await store.get(`${root}/a/missing`), undefined);

    const listed: { uri: string; size: number }[] = [];
    for await (const object of store.list(root)) listed.push(object);
    assert.deepEqual(listed.map((o) => o.uri).sort(), [`${root}/a/one.json`, `${root}/a/two.bin`]);
    assert.equal(listed.find((o) => o.uri.endsWith('two.bin'))!.size, 3);

    await store.delete([`${root}/a/one.json`, `${root}/a/two.bin`, `${root}b/other.json`]);
    await store.delete([`${root}/a/one.json`]);
    assert.equal(await store.get(`${root}/a/one.json`), undefined);
  });

  test('deletes more than one DeleteObjects batch', async () => {
    const uris = Array.from({ length: 1205 }, (_, i) => `${root}/many/${i}`);
    for (let i = 0; i < uris.length; i += 100) await Promise.all(uris.slice(i, i + 100).map((u) => store.put(u, 'x')));
    await store.delete(uris);
    const left: string[] = [];
    for await (const object of store.list(`${root}/many`)) left.push(object.uri);
    assert.deepEqual(left, []);
  });

  test('reads within the cap and the signal; confined to the root given', async () => {
    await store.put(`${root}/capped/hundred`, 'x'.repeat(100));
    await assert.rejects(store.get(`${root}/capped/hundred`, { maxBytes: 99 }), ObjectTooLargeError);
    assert.equal((await store.get(`${root}/capped/hundred`, { maxBytes: 100 }))!.byteLength, 100);
    await assert.rejects(store.get(`${root}/capped/hundred`, { signal: AbortSignal.abort(new Error('stop')) }), /stop/);
    const elsewhere = `s3://warehouse/elsewhere-${Math.random().toString(36).slice(2)}/x`;
    await assert.rejects(store.get(elsewhere, { root }), RefusedObjectError);
    await assert.rejects(store.put(elsewhere, 'x', { root }), RefusedObjectError);
    assert.deepEqual((await store.delete([elsewhere, `${root}/capped/hundred`], { root })).refused.map((r) => r.uri), [elsewhere]);
    assert.equal(await store.get(`${root}/capped/hundred`), undefined);
  });
});
