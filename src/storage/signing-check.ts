// Which S3 requests the catalog signs for an engine (remote signing, pure). The engine sends
// the request it is about to make; the catalog signs it with its own credentials only when
// it goes to the warehouse's S3 endpoint and does what a vended credential could do
// (vended-access.ts): read and list where the table's files lie (its clone sources' too),
// write and multipart-upload only under its own location, and delete nothing. The one
// DELETE signed is aborting a multipart upload under the table's own location: it removes
// parts of a file never written, never an object.
import { parseS3Prefix, type VendedAccess } from './vended-access.js';

/** Where an engine's S3 requests go: the endpoint the catalog hands out (AWS when unset). */
export interface SigningEndpoint {
  /** `http(s)://host[:port]` engines are told to use; undefined for AWS S3. */
  endpoint?: string;
  pathStyle: boolean;
}

/** An S3 request as the engine will send it, located: its bucket, key ('' for the bucket) and query. */
export interface S3Request {
  method: string;
  url: URL;
  bucket: string;
  key: string;
  query: URLSearchParams;
}

export type Located = { ok: true; request: S3Request } | { ok: false; status: 400 | 403; message: string };

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);
// AWS S3 hosts: s3.amazonaws.com, s3.<region>.amazonaws.com, s3-<region>..., dualstack; and
// those prefixed with a bucket (virtual-host style).
const AWS_HOST = /^(?:(.+)\.)?s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com$/;

/** Finds the bucket and key of `uri`, refusing a request that goes anywhere but the warehouse's store. */
export function locateRequest(method: string, uri: string, where: SigningEndpoint): Located {
  const verb = method.toUpperCase();
  if (!METHODS.has(verb)) return refuse(403, `The catalog does not sign ${method} requests`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return refuse(400, 'Invalid uri: not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse(400, 'Invalid uri: expected http or https');
  if (url.username || url.password) return refuse(400, 'Invalid uri: credentials in the URL');
  const path = url.pathname.slice(1);
  let bucket: string | undefined;
  let encodedKey: string;
  if (where.endpoint) {
    const endpoint = new URL(where.endpoint);
    if (url.protocol !== endpoint.protocol || url.port !== endpoint.port) return refuse(403, 'The catalog signs only requests to its warehouse\'s storage endpoint');
    if (url.hostname === endpoint.hostname) {
      [bucket, encodedKey] = splitFirst(path);
    } else if (!where.pathStyle && url.hostname.endsWith(`.${endpoint.hostname}`)) {
      bucket = url.hostname.slice(0, -endpoint.hostname.length - 1);
      encodedKey = path;
    } else {
      return refuse(403, 'The catalog signs only requests to its warehouse\'s storage endpoint');
    }
  } else {
    const match = AWS_HOST.exec(url.hostname);
    if (!match || url.protocol !== 'https:' || url.port !== '') return refuse(403, 'The catalog signs only requests to S3');
    if (match[1]) {
      bucket = match[1];
      encodedKey = path;
    } else {
      [bucket, encodedKey] = splitFirst(path);
    }
  }
  let key: string;
  try {
    bucket = decodeURIComponent(bucket ?? '');
    key = decodeURIComponent(encodedKey);
  } catch {
    return refuse(400, 'Invalid uri: bad percent-encoding');
  }
  if (bucket === '' || bucket.includes('/')) return refuse(403, 'The catalog signs only requests on a bucket');
  // S3 keys are literal, but proxies and clients may collapse dot segments: a key that could
  // mean another one is never signed.
  // Backslashes too: some gateways and stores on Windows take them for slashes.
  if (key.split(/[/\\]/).some((s) => s === '.' || s === '..') || /[\u0000-\u001f\\]/.test(key)) {
    return refuse(403, 'The catalog does not sign keys with dot segments, backslashes or control characters');
  }
  // Stores differ on which of two values they take: a request that could mean two things is
  // not signed.
  const names = [...url.searchParams.keys()];
  if (new Set(names).size !== names.length) return refuse(403, 'The catalog does not sign a query that repeats a parameter');
  return { ok: true, request: { method: verb, url, bucket, key, query: url.searchParams } };
}

function splitFirst(path: string): [string, string] {
  const slash = path.indexOf('/');
  return slash < 0 ? [path, ''] : [path.slice(0, slash), path.slice(slash + 1)];
}

function refuse(status: 400 | 403, message: string): Located & { ok: false } {
  return { ok: false, status, message };
}

// Query parameters that change nothing about what a request touches: the SDK's operation tag,
// a version, a byte range part, and response header overrides.
const READ_PARAMS = /^(x-id|versionId|partNumber|response-[a-z-]+)$/;
const LIST_PARAMS = /^(x-id|list-type|prefix|delimiter|max-keys|continuation-token|start-after|fetch-owner|encoding-type|marker|location)$/;

// The x-amz-* headers an engine's read or upload carries: checksums, payload hashes, chunked
// uploads (and x-amz-te, with which Java's SDK asks for a checksum trailer on reads), user
// metadata, the store's own encryption. Anything else sets something about the
// object (an ACL, tags that lifecycle rules act on, an object lock the collector could never
// lift, a storage class it cannot read back, a foreign encryption key) and is not signed.
const PLAIN_AMZ_HEADERS = /^x-amz-(content-sha256|date|security-token|user-agent|expected-bucket-owner|request-payer|checksum-mode|sdk-checksum-algorithm|checksum-(crc32|crc32c|crc64nvme|sha1|sha256|type)|trailer|te|decoded-content-length|meta-.+)$/;

function allowedAmzHeader(name: string, value: string): boolean {
  if (PLAIN_AMZ_HEADERS.test(name)) return true;
  if (name === 'x-amz-server-side-encryption') return value.trim() === 'AES256';
  if (name === 'x-amz-storage-class') return value.trim() === 'STANDARD';
  return false;
}

/**
 * Why the catalog refuses to sign `request` under `access` (undefined: it signs). Headers are
 * the engine's, lower-cased: a copy (x-amz-copy-source) would read a file the check never saw.
 */
export function signingRefusal(request: S3Request, access: VendedAccess, headers: ReadonlyMap<string, string>): string | undefined {
  const { method, bucket, key, query } = request;
  const params = [...query.keys()];
  const only = (allowed: RegExp) => params.every((p) => allowed.test(p));
  const within = (prefixes: readonly string[], k: string) =>
    prefixes.map(parseS3Prefix).some((p) => p !== undefined && p.bucket === bucket && k.startsWith(p.key));
  const readable = (k: string) => within(access.read, k);
  const writable = (k: string) => within(access.write, k);
  const readsBucket = access.read.map(parseS3Prefix).some((p) => p?.bucket === bucket);

  if (headers.has('x-amz-copy-source')) return 'The catalog does not sign copies';
  const setting = [...headers].find(([name, value]) => name.startsWith('x-amz-') && !allowedAmzHeader(name, value));
  if (setting) return `The catalog does not sign requests that set ${setting[0]} (object settings are the catalog's own)`;
  if (key === '') {
    if (method === 'HEAD') return readsBucket ? undefined : 'The table has no files in this bucket';
    if (method !== 'GET') return 'Deletes and bucket changes are the catalog\'s own';
    if (query.has('location') && params.every((p) => p === 'location' || p === 'x-id')) {
      return readsBucket ? undefined : 'The table has no files in this bucket';
    }
    if (query.has('uploads') && params.every((p) => /^(uploads|prefix|delimiter|max-uploads|key-marker|upload-id-marker|encoding-type|x-id)$/.test(p))) {
      return writable(query.get('prefix') ?? '') ? undefined : 'Listing uploads only under the table\'s own location';
    }
    if (!only(LIST_PARAMS) || query.has('location')) return 'The catalog signs only object reads, listings and writes';
    return readable(query.get('prefix') ?? '') ? undefined : 'Listing only under the table\'s file locations';
  }
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (query.has('uploadId') && params.every((p) => /^(uploadId|x-id|max-parts|part-number-marker|encoding-type)$/.test(p))) {
        return writable(key) ? undefined : 'Upload parts only under the table\'s own location';
      }
      if (!only(READ_PARAMS)) return 'The catalog signs only reads of objects, not of their settings';
      return readable(key) ? undefined : 'Reads only within the table\'s file locations';
    case 'PUT': {
      const part = query.has('uploadId') && query.has('partNumber');
      if (!(params.length === 0 || only(/^x-id$/) || (part && only(/^(uploadId|partNumber|x-id)$/)))) {
        return 'The catalog signs only object and part uploads, not settings';
      }
      return writable(key) ? undefined : 'Writes only under the table\'s own location';
    }
    case 'POST': {
      const multipart = (query.has('uploads') && only(/^(uploads|x-id)$/)) || (query.has('uploadId') && only(/^(uploadId|x-id)$/));
      if (!multipart) return 'The catalog signs only multipart uploads among POSTs';
      return writable(key) ? undefined : 'Writes only under the table\'s own location';
    }
    case 'DELETE':
      if (query.has('uploadId') && only(/^(uploadId|x-id)$/)) return writable(key) ? undefined : 'Writes only under the table\'s own location';
      return 'Deleting files is the catalog\'s collector\'s alone';
    default:
      return `The catalog does not sign ${method} requests`;
  }
}
