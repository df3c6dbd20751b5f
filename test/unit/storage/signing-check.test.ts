// Which S3 requests the catalog signs (pure): the warehouse's endpoint only, reads within the
// table's files (a clone's sources too), writes and multipart uploads under its own location,
// no delete, no copy, no bucket or object settings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { locateRequest, signingRefusal, type SigningEndpoint } from '../../../src/storage/signing-check.js';

const MINIO: SigningEndpoint = { endpoint: 'http://127.0.0.1:9000', pathStyle: true };
const ACCESS = { read: ['s3://lake/wh/dev/clone/', 's3://lake/wh/prod/orders/'], write: ['s3://lake/wh/dev/clone/'] };
const READ_ONLY = { read: ACCESS.read, write: [] };

function verdict(method: string, uri: string, access = ACCESS, headers: Record<string, string> = {}, where = MINIO): string {
  const located = locateRequest(method, uri, where);
  if (!located.ok) return `${located.status}`;
  return signingRefusal(located.request, access, new Map(Object.entries(headers))) ?? 'signed';
}

describe('locating a request', () => {
  test('path style: the bucket is the first segment, the key the rest (decoded)', () => {
    const located = locateRequest('get', 'http://127.0.0.1:9000/lake/wh/dev/clone/data/a%20b.parquet?x-id=GetObject', MINIO);
    assert.ok(located.ok);
    assert.equal(located.request.method, 'GET');
    assert.equal(located.request.bucket, 'lake');
    assert.equal(located.request.key, 'wh/dev/clone/data/a b.parquet');
  });

  test('virtual-host style on AWS and on an endpoint that allows it', () => {
    const aws = locateRequest('GET', 'https://lake.s3.us-west-2.amazonaws.com/wh/prod/orders/x', { pathStyle: false });
    assert.ok(aws.ok && aws.request.bucket === 'lake' && aws.request.key === 'wh/prod/orders/x');
    const awsPath = locateRequest('GET', 'https://s3.eu-central-1.amazonaws.com/lake/wh/prod/orders/x', { pathStyle: false });
    assert.ok(awsPath.ok && awsPath.request.bucket === 'lake');
    const vhost = locateRequest('GET', 'https://lake.store.example:8443/wh/x', { endpoint: 'https://store.example:8443', pathStyle: false });
    assert.ok(vhost.ok && vhost.request.bucket === 'lake' && vhost.request.key === 'wh/x');
  });

  test('anything but the warehouse\'s store is refused: other hosts, ports, schemes; not a URL is a 400', () => {
    assert.equal(verdict('GET', 'http://evil.example/lake/wh/dev/clone/x'), '403');
    assert.equal(verdict('GET', 'http://127.0.0.1:9001/lake/wh/dev/clone/x'), '403');
    assert.equal(verdict('GET', 'https://127.0.0.1:9000/lake/wh/dev/clone/x'), '403');
    assert.equal(verdict('GET', 'http://lake.localhost:9000/wh/dev/clone/x', ACCESS, {}, { endpoint: 'http://localhost:9000', pathStyle: true }), '403', 'virtual host on a path-style endpoint');
    assert.equal(verdict('GET', 'http://lake.s3.amazonaws.com/wh/dev/clone/x', ACCESS, {}, { pathStyle: false }), '403', 'AWS over plain http');
    assert.equal(verdict('GET', 'https://lake.s3.amazonaws.com.evil.example/wh/dev/clone/x', ACCESS, {}, { pathStyle: false }), '403');
    assert.equal(verdict('GET', 'not a url'), '400');
    assert.equal(verdict('GET', 'ftp://127.0.0.1:9000/lake/x'), '400');
    assert.equal(verdict('GET', 'http://user:pw@127.0.0.1:9000/lake/wh/dev/clone/x'), '400');
    assert.equal(verdict('GET', 'http://127.0.0.1:9000/lake/wh/dev/clone/%E0%A4%A'), '400');
    assert.equal(verdict('PATCH', 'http://127.0.0.1:9000/lake/wh/dev/clone/x'), '403');
    assert.equal(verdict('OPTIONS', 'http://127.0.0.1:9000/lake/wh/dev/clone/x'), '403');
  });

  test('a repeated query parameter is never signed (stores differ on which value counts)', () => {
    const located = locateRequest('GET', 'http://127.0.0.1:9000/lake?list-type=2&prefix=wh%2Fdev%2Fclone%2F&prefix=wh%2F', MINIO);
    assert.ok(!located.ok && located.status === 403);
  });

  test('dot segments are resolved before the check (the signature covers the resolved path); encoded slashes with dots and control characters are refused', () => {
    const located = locateRequest('GET', 'http://127.0.0.1:9000/lake/wh/dev/clone/%2E%2E/%2E%2E/prod/secret/x', MINIO);
    assert.ok(located.ok && located.request.key === 'wh/prod/secret/x' && located.request.url.pathname === '/lake/wh/prod/secret/x');
    assert.equal(verdict('GET', 'http://127.0.0.1:9000/lake/wh/dev/clone/%2E%2E/%2E%2E/prod/secret/x'), 'Reads only within the table\'s file locations');
    for (const key of ['a%2F..%2Fb', 'a%2F.%2Fb', 'a%00b', 'a%0Ab', '..%5C..%5Cprod', 'a%5Cb']) {
      const located = locateRequest('GET', `http://127.0.0.1:9000/lake/wh/dev/clone/${key}`, MINIO);
      assert.ok(!located.ok && located.status === 403 && /dot segments, backslashes or control characters/.test(located.message), key);
    }
  });
});

describe('what is signed', () => {
  const base = 'http://127.0.0.1:9000/lake/wh';

  test('reads: within the table\'s files and its clone sources\', nowhere else', () => {
    assert.equal(verdict('GET', `${base}/dev/clone/data/a.parquet`), 'signed');
    assert.equal(verdict('HEAD', `${base}/prod/orders/data/a.parquet`), 'signed');
    assert.equal(verdict('GET', `${base}/prod/orders/data/a.parquet?versionId=3&partNumber=1&response-content-type=x`), 'signed');
    assert.equal(verdict('GET', `${base}/prod/orders_private/data/a.parquet`), 'Reads only within the table\'s file locations', 'a sibling whose name starts the same');
    assert.equal(verdict('GET', `${base}/prod/customers/data/a.parquet`), 'Reads only within the table\'s file locations');
    assert.equal(verdict('GET', 'http://127.0.0.1:9000/other/wh/dev/clone/a.parquet'), 'Reads only within the table\'s file locations', 'same key in another bucket');
  });

  test('object settings are not reads: acl, tagging, attributes', () => {
    for (const sub of ['acl', 'tagging', 'attributes', 'retention', 'legal-hold']) {
      assert.equal(verdict('GET', `${base}/dev/clone/a.parquet?${sub}`), 'The catalog signs only reads of objects, not of their settings', sub);
      assert.equal(verdict('PUT', `${base}/dev/clone/a.parquet?${sub}`), 'The catalog signs only object and part uploads, not settings', sub);
    }
  });

  test('listings only under a readable prefix; the bucket\'s location and existence when it holds table files', () => {
    assert.equal(verdict('GET', 'http://127.0.0.1:9000/lake?list-type=2&prefix=wh%2Fprod%2Forders%2Fdata%2F'), 'signed');
    assert.equal(verdict('GET', 'http://127.0.0.1:9000/lake?list-type=2&prefix=wh%2Fprod%2F'), 'Listing only under the table\'s file locations');
    assert.equal(verdict('GET', 'http://127.0.0.1:9000/lake?list-type=2'), 'Listing only under the table\'s file locations');
    assert.equal(verdict('GET', 'http://127.0.0.1:9000/lake?location'), 'signed');
    assert.equal(verdict('HEAD', 'http://127.0.0.1:9000/lake'), 'signed');
    assert.equal(verdict('HEAD', 'http://127.0.0.1:9000/other'), 'The table has no files in this bucket');
    assert.equal(verdict('GET', 'http://127.0.0.1:9000/lake?policy'), 'The catalog signs only object reads, listings and writes');
    assert.equal(verdict('GET', 'http://127.0.0.1:9000/lake?location&prefix=x'), 'The catalog signs only object reads, listings and writes');
  });

  test('writes and multipart uploads only under the table\'s own location, and only with write access', () => {
    assert.equal(verdict('PUT', `${base}/dev/clone/data/new.parquet`), 'signed');
    assert.equal(verdict('POST', `${base}/dev/clone/data/big.parquet?uploads`), 'signed');
    assert.equal(verdict('PUT', `${base}/dev/clone/data/big.parquet?partNumber=2&uploadId=abc`), 'signed');
    assert.equal(verdict('POST', `${base}/dev/clone/data/big.parquet?uploadId=abc`), 'signed');
    assert.equal(verdict('GET', `${base}/dev/clone/data/big.parquet?uploadId=abc`), 'signed', 'list parts');
    assert.equal(verdict('PUT', `${base}/prod/orders/data/new.parquet`), 'Writes only under the table\'s own location', 'a clone never writes into its source');
    assert.equal(verdict('POST', `${base}/prod/orders/data/big.parquet?uploads`), 'Writes only under the table\'s own location');
    assert.equal(verdict('PUT', `${base}/dev/clone/data/new.parquet`, READ_ONLY), 'Writes only under the table\'s own location', 'a reader writes nothing');
    assert.equal(verdict('POST', `${base}/dev/clone/data/x?select&select-type=2`), 'The catalog signs only multipart uploads among POSTs');
  });

  test('no delete of any object, one by one or in bulk; aborting an own upload is no delete', () => {
    assert.equal(verdict('DELETE', `${base}/dev/clone/data/a.parquet`), 'Deleting files is the catalog\'s collector\'s alone');
    assert.equal(verdict('DELETE', `${base}/dev/clone/data/a.parquet?versionId=1`), 'Deleting files is the catalog\'s collector\'s alone');
    assert.equal(verdict('POST', 'http://127.0.0.1:9000/lake?delete'), 'Deletes and bucket changes are the catalog\'s own');
    assert.equal(verdict('DELETE', 'http://127.0.0.1:9000/lake'), 'Deletes and bucket changes are the catalog\'s own');
    assert.equal(verdict('PUT', 'http://127.0.0.1:9000/lake?policy'), 'Deletes and bucket changes are the catalog\'s own');
    assert.equal(verdict('DELETE', `${base}/dev/clone/data/big.parquet?uploadId=abc`), 'signed');
    assert.equal(verdict('DELETE', `${base}/prod/orders/data/big.parquet?uploadId=abc`), 'Writes only under the table\'s own location');
  });

  test('headers that set something about the object are not signed; a checksum, metadata or the store\'s own encryption are', () => {
    const put = `${'http://127.0.0.1:9000/lake/wh'}/dev/clone/data/new.parquet`;
    for (const [name, value] of [
      ['x-amz-acl', 'public-read'],
      ['x-amz-grant-full-control', 'id=someone'],
      ['x-amz-object-lock-mode', 'COMPLIANCE'],
      ['x-amz-object-lock-legal-hold', 'ON'],
      ['x-amz-tagging', 'expire=now'],
      ['x-amz-website-redirect-location', '/elsewhere'],
      ['x-amz-server-side-encryption', 'aws:kms'],
      ['x-amz-server-side-encryption-aws-kms-key-id', 'arn:aws:kms:us-east-1:1:key/x'],
      ['x-amz-server-side-encryption-customer-algorithm', 'AES256'],
      ['x-amz-storage-class', 'DEEP_ARCHIVE'],
      ['x-amz-metadata-directive', 'REPLACE'],
    ]) {
      assert.match(verdict('PUT', put, ACCESS, { [name]: value }), /does not sign requests that set/, name);
    }
    assert.match(verdict('POST', `${put}?uploads`, ACCESS, { 'x-amz-acl': 'public-read' }), /does not sign requests that set/);
    assert.equal(
      verdict('PUT', put, ACCESS, {
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-trailer': 'x-amz-checksum-crc32',
        'x-amz-decoded-content-length': '12',
        'x-amz-sdk-checksum-algorithm': 'CRC32',
        'x-amz-meta-writer': 'spark',
        'x-amz-server-side-encryption': 'AES256',
        'x-amz-storage-class': 'STANDARD',
      }),
      'signed',
    );
    assert.equal(verdict('GET', put, ACCESS, { 'x-amz-te': 'append-md5', 'x-amz-checksum-mode': 'ENABLED' }), 'signed', 'what Java\'s SDK sends on a read');
  });

  test('copies are refused: their source is a read the check never saw', () => {
    assert.equal(verdict('PUT', `${base}/dev/clone/data/copy.parquet`, ACCESS, { 'x-amz-copy-source': '/lake/wh/prod/customers/x' }), 'The catalog does not sign copies');
  });
});
