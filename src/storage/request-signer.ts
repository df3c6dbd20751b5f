// Signs an engine's S3 request (remote signing) with AWS Signature V4, after signing-check.ts
// has allowed it. The engine sends exactly the headers it will send; the answer is those
// headers plus the signature's (Authorization, X-Amz-Date, X-Amz-Content-SHA256 and, for
// temporary credentials, X-Amz-Security-Token), which the engine sends in their place.
import { createHash, createHmac, type BinaryLike } from 'node:crypto';

const bytes = (data: string | ArrayBuffer | ArrayBufferView): BinaryLike =>
  typeof data === 'string' ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
import { SignatureV4 } from '@smithy/signature-v4';
import type { S3Request } from './signing-check.js';
import type { VendedAccess } from './vended-access.js';
import { PolicyTooLongError } from './credential-vendor.js';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The headers a request's signature covers never include these: they change between an
 * SDK's retries or calls (amz-sdk-request counts attempts), are hop-by-hop, or differ between
 * the reads Java's signer client sends with one cached signature (it caches a signed GET per
 * method and URI for 30 s, whatever its Range). */
export const UNSIGNED: ReadonlySet<string> = new Set([
  'authorization',
  'range',
  'amz-sdk-request',
  'amz-sdk-invocation-id',
  'amz-sdk-retry',
  'connection',
  'content-length-hint',
  'expect',
  'keep-alive',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);

/** Headers the engine must not choose: the signature sets them. */
const REPLACED = new Set(['authorization', 'x-amz-date', 'x-amz-security-token']);

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** SHA-256 and HMAC-SHA-256 from node:crypto, as the signer's hash constructor wants them. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error('not used by the signer');
  }
}

/**
 * The headers to send `request` with, signed for `region` with `credentials` at `now`.
 * `headers` are the engine's, one array of values per name, in any case.
 */
export async function signS3Request(
  request: S3Request,
  headers: Readonly<Record<string, readonly string[]>>,
  region: string,
  credentials: SigningCredentials,
  now: Date = new Date(),
  unsigned: ReadonlySet<string> = UNSIGNED,
): Promise<Record<string, string[]>> {
  const kept = new Map<string, { name: string; values: string[] }>();
  for (const [name, values] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (REPLACED.has(lower) || lower === 'host') continue;
    const existing = kept.get(lower);
    if (existing) existing.values.push(...values);
    else kept.set(lower, { name, values: [...values] });
  }
  // A body the engine did not hash is signed as unsigned (S3 accepts it); a GET has none.
  if (!kept.has('x-amz-content-sha256')) {
    kept.set('x-amz-content-sha256', { name: 'x-amz-content-sha256', values: [request.method === 'PUT' || request.method === 'POST' ? UNSIGNED_PAYLOAD : EMPTY_SHA256] });
  }
  const { url } = request;
  const flat: Record<string, string> = { host: url.host };
  for (const [lower, { values }] of kept) flat[lower] = values.join(',');
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const existing = query[name];
    query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const signer = new SignatureV4({ service: 's3', region, credentials, sha256: NodeSha256, uriEscapePath: false, applyChecksum: false });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers: flat,
    },
    { signingDate: now, unsignableHeaders: new Set(unsigned) },
  );
  const answer: Record<string, string[]> = {};
  for (const [, { name, values }] of kept) answer[name] = values;
  for (const [name, value] of Object.entries(signed.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host' || kept.has(lower)) continue;
    answer[name] = [value];
  }
  return answer;
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A request the signer will not sign with the keys it has (signing-check.ts allowed it). */
export class SigningRefusedError extends Error {}

/**
 * What the catalog signs with: a key vended for exactly the access being signed when STS
 * vending is on (the store then enforces the same limits as signing-check.ts, a second lock),
 * else the catalog's own keys from the AWS default chain.
 *
 * The engine sends the signed request itself and may add headers the signature does not
 * cover. AWS S3 refuses a request with an unsigned x-amz-* header; some S3-compatible stores
 * do not (MinIO, for one), so there an added x-amz-copy-source would turn a signed upload into
 * a copy of any object the keys reach. So on a store other than AWS, uploads are signed only
 * with a vended key (whose policy reads nothing but the table's files); with the catalog's own
 * or static keys only reads are, which no header turns into anything else.
 */
export class RequestSigner {
  private ownCredentials: (() => Promise<SigningCredentials>) | undefined;

  constructor(
    private readonly region: string,
    private readonly options: {
      /** STS vending: keys scoped to the access by a session policy. */
      vendor?: { vend(access: VendedAccess, principal: string): Promise<SigningCredentials> };
      /** The store is AWS S3 (no CATALOG_S3_ENDPOINT), which refuses unsigned x-amz-* headers. */
      aws: boolean;
    },
  ) {}

  async sign(request: S3Request, headers: Readonly<Record<string, readonly string[]>>, access: VendedAccess, principal: string): Promise<Record<string, string[]>> {
    const upload = request.method !== 'GET' && request.method !== 'HEAD';
    const scoped = await this.scopedCredentials(access, principal);
    if (!scoped && upload && !this.options.aws) {
      throw new SigningRefusedError(
        'The catalog signs uploads to an S3-compatible store only with vended keys (CATALOG_S3_VENDING=sts) for this table: ask for vended-credentials instead',
      );
    }
    return signS3Request(request, headers, this.region, scoped ?? (await this.own()));
  }

  private async scopedCredentials(access: VendedAccess, principal: string): Promise<SigningCredentials | undefined> {
    if (!this.options.vendor) return undefined;
    try {
      return await this.options.vendor.vend(access, principal);
    } catch (error) {
      // More prefixes than a session policy holds: only reads are signed, with the catalog's keys.
      if (error instanceof PolicyTooLongError) return undefined;
      throw error;
    }
  }

  private async own(): Promise<SigningCredentials> {
    // Loaded on first use, as the S3 store loads the SDK; the provider caches and renews.
    if (!this.ownCredentials) {
      const chain = (await import('@aws-sdk/credential-provider-node')).defaultProvider();
      this.ownCredentials = () => chain();
    }
    return this.ownCredentials();
  }
}
