import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetadataCache } from '../../../src/catalog/metadata-cache.js';

describe('MetadataCache load bodies', () => {
  it('builds the plain body and each coded variant once per location', () => {
    const cache = new MetadataCache(1024 * 1024);
    cache.put('s3://b/t/metadata/1.json', '{"a":1}');
    let builds = 0;
    let encodes = 0;
    const build = () => (builds++, '{"metadata":{"a":1}}');
    const variant = { key: 'upper', encode: (body: Buffer) => (encodes++, Buffer.from(body.toString().toUpperCase())) };
    for (let i = 0; i < 3; i++) {
      assert.equal(cache.getLoadBody('s3://b/t/metadata/1.json', build).toString(), '{"metadata":{"a":1}}');
      assert.equal(cache.getLoadBody('s3://b/t/metadata/1.json', build, variant).toString(), '{"METADATA":{"A":1}}');
    }
    assert.equal(builds, 1);
    assert.equal(encodes, 1);
  });

  it('serves a location it does not hold without caching, encoded when asked', () => {
    const cache = new MetadataCache(1024);
    const variant = { key: 'x', encode: (body: Buffer) => Buffer.concat([body, Buffer.from('!')]) };
    assert.equal(cache.getLoadBody('s3://b/other', () => 'body', variant).toString(), 'body!');
    assert.equal(cache.size, 0);
  });
});
