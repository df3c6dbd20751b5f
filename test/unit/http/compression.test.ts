import assert from 'node:assert/strict';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { LOAD_BODY_VARIANTS, preferredCoding } from '../../../src/http/compression.js';

describe('preferredCoding', () => {
  it('takes br or gzip, brotli on a tie, and nothing when neither is acceptable', () => {
    assert.equal(preferredCoding(undefined), undefined);
    assert.equal(preferredCoding(''), undefined);
    assert.equal(preferredCoding('identity'), undefined);
    assert.equal(preferredCoding('deflate'), undefined);
    assert.equal(preferredCoding('gzip, deflate'), 'gzip');
    assert.equal(preferredCoding('gzip, x-gzip, deflate'), 'gzip');
    assert.equal(preferredCoding('gzip, deflate, br'), 'br');
    assert.equal(preferredCoding('x-gzip'), 'gzip');
    assert.equal(preferredCoding('*'), 'br');
  });

  it('honours q-values, q=0 refusing a coding', () => {
    assert.equal(preferredCoding('br;q=0.5, gzip;q=0.8'), 'gzip');
    assert.equal(preferredCoding('br;q=0, gzip'), 'gzip');
    assert.equal(preferredCoding('gzip;q=0, br;q=0'), undefined);
    assert.equal(preferredCoding('*;q=0'), undefined);
    assert.equal(preferredCoding('GZIP ; Q=1'), 'gzip');
    assert.equal(preferredCoding('gzip;q=nonsense'), undefined);
  });
});

describe('load body variants', () => {
  it('round-trip', () => {
    const body = Buffer.from(JSON.stringify({ snapshots: Array.from({ length: 100 }, (_, i) => ({ id: i })) }));
    assert.deepEqual(gunzipSync(LOAD_BODY_VARIANTS.gzip.encode(body)), body);
    assert.deepEqual(brotliDecompressSync(LOAD_BODY_VARIANTS.br.encode(body)), body);
  });
});
