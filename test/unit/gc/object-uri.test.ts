import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalObjectUri, isUnderRoot } from '../../../src/gc/object-uri.js';

describe('canonicalObjectUri', () => {
  it('spells the local paths Java writes (file:/x) the way listings do (file:///x)', () => {
    assert.equal(canonicalObjectUri('file:/tmp/wh/t/data/a.parquet'), 'file:///tmp/wh/t/data/a.parquet');
  });

  it('leaves file:///x unchanged', () => {
    assert.equal(canonicalObjectUri('file:///tmp/wh/t/data/a.parquet'), 'file:///tmp/wh/t/data/a.parquet');
  });

  it('turns the s3a:// and s3n:// schemes Spark may write into s3://, keeping bucket and key', () => {
    assert.equal(canonicalObjectUri('s3a://bucket/wh/t/data/a.parquet'), 's3://bucket/wh/t/data/a.parquet');
    assert.equal(canonicalObjectUri('s3n://bucket/wh/t/data/a.parquet'), 's3://bucket/wh/t/data/a.parquet');
  });

  it('leaves s3:// and other schemes unchanged', () => {
    for (const uri of ['s3://bucket/wh/a.parquet', 'memory://wh/a.parquet', 'gs://bucket/a.parquet', 's3x://bucket/a']) {
      assert.equal(canonicalObjectUri(uri), uri);
    }
  });

  it('resolves the spellings a local filesystem treats as one file: /./, //, a/../, localhost, a trailing slash', () => {
    const one = 'file:///tmp/wh/t/data/x.parquet';
    for (const uri of [
      'file:///tmp/wh/t/./data/x.parquet',
      'file:///tmp/wh/t/data//x.parquet',
      'file:////tmp//wh/t/data/x.parquet',
      'file:/tmp/wh/t/other/../data/x.parquet',
      'file://localhost/tmp/wh/t/data/x.parquet',
      'FILE://LocalHost/tmp/wh/t/data/x.parquet',
      'file:///tmp/wh/t/data/x.parquet/',
      'file:///tmp/wh/t/data/././/x.parquet',
    ]) {
      assert.equal(canonicalObjectUri(uri), one, uri);
    }
  });

  it('resolves .. lexically and never above /', () => {
    assert.equal(canonicalObjectUri('file:///tmp/wh/t/../../../../etc/passwd'), 'file:///etc/passwd');
    assert.equal(canonicalObjectUri('file:///..'), 'file:///');
  });

  it('keeps S3 keys exactly as written: S3 keeps a//b, a/./b and a/b apart', () => {
    for (const key of ['wh/t/data//x', 'wh/t/./data/x', 'wh/t/a/../x', 'wh/t/x/']) {
      assert.equal(canonicalObjectUri(`s3a://b/${key}`), `s3://b/${key}`);
      assert.equal(canonicalObjectUri(`S3://b/${key}`), `s3://b/${key}`);
    }
  });

  it('leaves a file: URI with another host, or without a path, unchanged', () => {
    for (const uri of ['file://host/tmp/x', 'file://x', 'file:relative/x', 'file:']) assert.equal(canonicalObjectUri(uri), uri);
  });

  it('never percent-decodes', () => {
    assert.equal(canonicalObjectUri('file:///tmp/wh/%2e%2e/x'), 'file:///tmp/wh/%2e%2e/x');
  });

  it('is idempotent', () => {
    for (const uri of ['file:/tmp/x', 's3a://b/k', 's3n://b/k', 'file:///tmp/x', 's3://b/k', 'file:///a/./b//../c', 'file://host/x']) {
      assert.equal(canonicalObjectUri(canonicalObjectUri(uri)), canonicalObjectUri(uri));
    }
  });
});

describe('isUnderRoot', () => {
  it('accepts a URI strictly under the root, at any depth', () => {
    assert.equal(isUnderRoot('s3://b/wh', 's3://b/wh/x'), true);
    assert.equal(isUnderRoot('s3://b/wh', 's3://b/wh/ns/t/data/a.parquet'), true);
  });

  it('refuses a sibling whose name merely starts with the root', () => {
    assert.equal(isUnderRoot('s3://b/wh', 's3://b/wh2/x'), false);
    assert.equal(isUnderRoot('s3://b/wh', 's3://b/wh.bak/x'), false);
  });

  it('tolerates trailing slashes on the root', () => {
    assert.equal(isUnderRoot('s3://b/wh/', 's3://b/wh/x'), true);
    assert.equal(isUnderRoot('s3://b/wh//', 's3://b/wh/x'), true);
    assert.equal(isUnderRoot('s3://b/wh/', 's3://b/wh2/x'), false);
  });

  it('does not count the root itself as under it', () => {
    assert.equal(isUnderRoot('s3://b/wh', 's3://b/wh'), false);
    assert.equal(isUnderRoot('s3://b/wh/', 's3://b/wh'), false);
  });

  it('refuses URIs in another bucket or scheme', () => {
    assert.equal(isUnderRoot('s3://b/wh', 's3://c/wh/x'), false);
    assert.equal(isUnderRoot('file:///tmp/wh', 's3://tmp/wh/x'), false);
  });
});
