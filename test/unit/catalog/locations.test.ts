// Table locations stay inside the warehouse root (design: clones-and-gc.md, guarantee 5).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultNamespaceLocation, isWithin, locationsOverlap, normalizeLocation, pathSegment, requireFileWithinWarehouse, requireWithinWarehouse } from '../../../src/catalog/locations.js';
import { fileUriToPath } from '../../../src/storage/filesystem-store.js';
import { assertCatalogError } from '../iceberg/fixtures.js';

describe('normalizeLocation', () => {
  it('drops trailing slashes, empty and dot segments', () => {
    assert.equal(normalizeLocation('s3://b/wh/'), 's3://b/wh');
    assert.equal(normalizeLocation('s3://b/wh//db/./t///'), 's3://b/wh/db/t');
    assert.equal(normalizeLocation('s3://b/'), 's3://b');
    assert.equal(normalizeLocation('  s3://b/wh  '), 's3://b/wh');
  });
  it('lower-cases the scheme and folds s3a / s3n into s3', () => {
    assert.equal(normalizeLocation('S3://b/x'), 's3://b/x');
    assert.equal(normalizeLocation('s3a://b/x'), 's3://b/x');
    assert.equal(normalizeLocation('S3N://b/x'), 's3://b/x');
    assert.equal(normalizeLocation('gs://b/x'), 'gs://b/x');
    assert.equal(normalizeLocation('abfss://c@acct.dfs.core.windows.net/x/'), 'abfss://c@acct.dfs.core.windows.net/x');
  });
  it('keeps file URIs in the triple-slash form', () => {
    assert.equal(normalizeLocation('file:///tmp/wh/'), 'file:///tmp/wh');
  });
  it('refuses `..` segments', () => {
    for (const l of ['s3://b/wh/../other', 's3://b/..', 'file:///tmp/wh/a/../../etc']) {
      assertCatalogError(() => normalizeLocation(l), 400, { message: `Invalid location: ${l} contains '..'` });
    }
  });
  it('allows names that merely contain dots', () => {
    assert.equal(normalizeLocation('s3://b/wh/..x/.y/...'), 's3://b/wh/..x/.y/...');
  });
  it('refuses relative paths, bare paths and NUL bytes', () => {
    for (const l of ['relative/x', '/abs/path', 'b/wh', '', '://b/x', '3s://b/x']) {
      assertCatalogError(() => normalizeLocation(l), 400, { message: /is not an absolute URI/ });
    }
    assertCatalogError(() => normalizeLocation('s3://b/wh/a\0b'), 400, { message: /NUL byte/ });
  });
  it('takes percent-encoded dots literally, as engines do: %2e%2e is a name, not `..`', () => {
    assert.equal(normalizeLocation('file:///wh/%2e%2e/etc'), 'file:///wh/%2e%2e/etc');
    assert.equal(fileUriToPath('file:///wh/%2e%2e/etc'), '/wh/%2e%2e/etc');
  });
  it('reads Hadoop\'s file:/path form as file:///path', () => {
    assert.equal(normalizeLocation('file:/tmp/wh/t'), 'file:///tmp/wh/t');
  });
});

describe('isWithin', () => {
  it('is true for the root itself and anything under it', () => {
    assert.equal(isWithin('s3://b/wh', 's3://b/wh'), true);
    assert.equal(isWithin('s3://b/wh/', 's3a://b/wh/db/t'), true);
  });
  it('is false for siblings that share a prefix and for other buckets', () => {
    assert.equal(isWithin('s3://b/wh', 's3://b/wh2'), false);
    assert.equal(isWithin('s3://b/wh', 's3://b/wh-other/t'), false);
    assert.equal(isWithin('s3://b/wh', 's3://c/wh/t'), false);
  });
});

describe('requireWithinWarehouse', () => {
  const root = 's3://b/wh';
  it('returns the normalised location inside the root', () => {
    assert.equal(requireWithinWarehouse(root, 's3a://b/wh/db/t/'), 's3://b/wh/db/t');
    assert.equal(requireWithinWarehouse('s3://b/wh/', 's3://b/wh/./db//t'), 's3://b/wh/db/t');
    assert.equal(requireWithinWarehouse('file:///tmp/wh', 'file:///tmp/wh/ns/t'), 'file:///tmp/wh/ns/t');
  });
  it('refuses `..` escapes', () => {
    assertCatalogError(() => requireWithinWarehouse(root, 's3://b/wh/../secret'), 400, { message: /contains '\.\.'/ });
    assertCatalogError(() => requireWithinWarehouse(root, 's3://b/wh/db/../../x'), 400);
  });
  it('refuses other buckets and schemes', () => {
    assertCatalogError(() => requireWithinWarehouse(root, 's3://other/wh/t'), 400, {
      type: 'BadRequestException',
      message: 'Location s3://other/wh/t is outside the warehouse root s3://b/wh',
    });
    assertCatalogError(() => requireWithinWarehouse(root, 'gs://b/wh/t'), 400);
    assertCatalogError(() => requireWithinWarehouse(root, 'file:///b/wh/t'), 400);
  });
  it('refuses sibling prefixes: s3://b/wh2 is not inside s3://b/wh', () => {
    assertCatalogError(() => requireWithinWarehouse(root, 's3://b/wh2'), 400);
    assertCatalogError(() => requireWithinWarehouse(root, 's3://b/wh2/t'), 400);
    assertCatalogError(() => requireWithinWarehouse(root, 's3://b/w'), 400);
  });
  it('refuses the root itself, with or without a trailing slash', () => {
    assertCatalogError(() => requireWithinWarehouse(root, 's3://b/wh'), 400);
    assertCatalogError(() => requireWithinWarehouse(root, 's3://b/wh/'), 400);
    assertCatalogError(() => requireWithinWarehouse(root, 's3a://b/wh/./'), 400);
  });
  it('refuses a parent of the root', () => {
    assertCatalogError(() => requireWithinWarehouse(root, 's3://b'), 400);
  });
  it('a file location accepted here resolves to a path inside the warehouse directory', () => {
    for (const l of ['file:///tmp/wh/%2e%2e/etc/passwd', 'file:///tmp/wh/ns/%2E%2E/%2E%2E/x']) {
      let accepted: string | undefined;
      try {
        accepted = requireWithinWarehouse('file:///tmp/wh', l);
      } catch {
        continue;
      }
      assert.ok(fileUriToPath(accepted).startsWith('/tmp/wh/'), `${l} resolves to ${fileUriToPath(accepted)}`);
    }
  });
});

describe('pathSegment', () => {
  it('keeps plain names and replaces everything else, separators included, by _', () => {
    assert.equal(pathSegment('sales_2024'), 'sales_2024');
    assert.equal(pathSegment('a.b-c'), 'a.b-c');
    assert.equal(pathSegment('a/b'), 'a_b');
    assert.equal(pathSegment('a b'), 'a_b');
    assert.equal(pathSegment('ü'), '_');
    assert.equal(pathSegment('a\\b'), 'a_b');
    assert.equal(pathSegment('100%'), '100_');
  });
  it('never yields a dot segment', () => {
    assert.equal(pathSegment('.'), '_');
    assert.equal(pathSegment('..'), '__');
    assert.equal(pathSegment('...'), '___');
    assert.equal(pathSegment('a..b'), 'a..b');
  });
  it('a segment for any name stays inside its parent directory', () => {
    for (const name of ['.', '..', '../..', '/etc', 'a/../../b', '%2e%2e']) {
      const path = fileUriToPath(`file:///tmp/wh/${pathSegment(name)}/t`);
      assert.ok(path.startsWith('/tmp/wh/') && !path.slice('/tmp/wh/'.length).includes('/..'), `${name} → ${path}`);
      assert.notEqual(path, '/tmp/wh/t');
    }
  });
});

describe('requireFileWithinWarehouse', () => {
  const root = 'file:///tmp/wh';
  it('accepts files inside the root, however spelled', () => {
    for (const uri of ['file:///tmp/wh/t/metadata/snap.avro', 'file:/tmp/wh/t/m.avro', 'file:///tmp/wh/t/./m.avro', 'file:///tmp//wh/t/m.avro']) {
      requireFileWithinWarehouse(root, uri, 'manifest list');
    }
    requireFileWithinWarehouse('s3://b/wh', 's3a://b/wh/t/m.avro', 'manifest list');
  });

  it('refuses files outside the root, and escapes by .., percent-encoded dots or another scheme', () => {
    for (const uri of [
      'file:///tmp/other/m.avro',
      'file:///tmp/wh',
      'file:///tmp/wh2/m.avro',
      'file:///tmp/wh/t/../../other/m.avro',
      'file:///tmp/wh/t/%2e%2e/%2E%2E/other/m.avro',
      'file://host/tmp/wh/t/m.avro',
      's3://tmp/wh/t/m.avro',
      '/tmp/wh/t/m.avro',
    ]) {
      assertCatalogError(() => requireFileWithinWarehouse(root, uri, 'manifest list'), 400, { message: /manifest list/ });
    }
    assertCatalogError(() => requireFileWithinWarehouse('s3://b/wh', 's3://b/wh/t/../../x', 'statistics file'), 400, { message: /'\.\.'/ });
    assertCatalogError(() => requireFileWithinWarehouse('s3://b/wh', 's3://other/wh/t/x', 'statistics file'), 400, { message: /outside/ });
    assertCatalogError(() => requireFileWithinWarehouse(root, 'file:///tmp/wh/t/a\0b', 'statistics file'), 400, { message: /NUL/ });
    assertCatalogError(() => requireFileWithinWarehouse(root, 42, 'statistics file'), 400, { message: /URI is required/ });
  });
});

describe('namespace locations', () => {
  it('default to one path segment per level under the warehouse root', () => {
    assert.equal(defaultNamespaceLocation('s3://b/wh/', ['sales', 'eu west']), 's3://b/wh/sales/eu_west');
    assert.equal(defaultNamespaceLocation('file:///wh', ['..']), 'file:///wh/__');
  });
  it('overlap when equal or nested either way, not when they merely share a prefix of text', () => {
    assert.equal(locationsOverlap('s3://b/wh/a', 's3://b/wh/a'), true);
    assert.equal(locationsOverlap('s3://b/wh/a/b', 's3://b/wh/a'), true);
    assert.equal(locationsOverlap('s3://b/wh/a', 's3://b/wh/a/b'), true);
    assert.equal(locationsOverlap('s3://b/wh/a', 's3://b/wh/ab'), false);
  });
});
