// The signature of an engine's request: checked against the worked example of AWS's
// Signature V4 documentation for S3 (GET /test.txt, bytes 0-9, example keys), so a wrong
// canonical request fails here and not only against a live store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { locateRequest } from '../../../src/storage/signing-check.js';
import { signS3Request, UNSIGNED } from '../../../src/storage/request-signer.js';

const header = (headers: Record<string, string[]>, name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1]?.[0];

const EXAMPLE_KEYS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const DOC_DATE = new Date(Date.UTC(2013, 4, 24, 0, 0, 0));

function located(method: string, uri: string) {
  const result = locateRequest(method, uri, { pathStyle: false });
  assert.ok(result.ok);
  return result.request;
}

test('the documented example (Range signed) gives the documented signature', async () => {
  const request = located('GET', 'https://examplebucket.s3.amazonaws.com/test.txt');
  const headers = { Range: ['bytes=0-9'], 'x-amz-content-sha256': [EMPTY_SHA256] };
  const withoutRange = new Set([...UNSIGNED].filter((h) => h !== 'range'));
  const signed = await signS3Request(request, headers, 'us-east-1', EXAMPLE_KEYS, DOC_DATE, withoutRange);
  assert.equal(
    header(signed, 'authorization'),
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  );
});

test('by default Range is not signed (one cached signature serves every range); the engine\'s headers come back as sent', async () => {
  const request = located('GET', 'https://examplebucket.s3.amazonaws.com/test.txt');
  const signed = await signS3Request(request, { Range: ['bytes=0-9'], 'x-amz-content-sha256': [EMPTY_SHA256] }, 'us-east-1', EXAMPLE_KEYS, DOC_DATE);
  assert.match(header(signed, 'authorization') ?? '', /SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
  assert.deepEqual(signed.Range, ['bytes=0-9']);
  assert.equal(header(signed, 'x-amz-date'), '20130524T000000Z');
});

test('temporary credentials add a signed session token; the engine cannot choose the date or the authorization', async () => {
  const request = located('PUT', 'https://lake.s3.us-west-2.amazonaws.com/wh/t/data/a.parquet');
  const signed = await signS3Request(
    request,
    { 'X-Amz-Date': ['19990101T000000Z'], Authorization: ['forged'], 'Content-Length': ['12'], 'amz-sdk-request': ['attempt=1; max=3'] },
    'us-west-2',
    { ...EXAMPLE_KEYS, sessionToken: 'session-token-value' },
    DOC_DATE,
  );
  const auth = header(signed, 'authorization')!;
  assert.match(auth, /SignedHeaders=content-length;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/, 'retry counters are not signed');
  assert.notEqual(auth, 'forged');
  assert.equal(header(signed, 'x-amz-security-token'), 'session-token-value');
  assert.equal(header(signed, 'x-amz-date'), '20130524T000000Z');
  assert.deepEqual(signed['x-amz-content-sha256'], ['UNSIGNED-PAYLOAD'], 'an upload the engine did not hash is signed unsigned');
  assert.equal(Object.keys(signed).filter((k) => k.toLowerCase() === 'x-amz-date').length, 1);
});
