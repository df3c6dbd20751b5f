// S3 or any S3-compatible store (s3:// URIs). Credentials come from the AWS default chain
// (environment, profile, web identity, instance role), never from our configuration files.
//
// The AWS SDK is loaded on first use: it costs tens of megabytes of memory, which a
// catalog whose warehouse is a local directory should not pay.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import {
  outsideRoot,
  sizeCapError,
  type ConfinedAccess,
  type DeleteOutcome,
  type ObjectStore,
  type ReadOptions,
  type StoredObject,
} from './object-store.js';

type Sdk = typeof import('@aws-sdk/client-s3');

export interface S3StoreOptions {
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
}

function parse(uri: string): { bucket: string; key: string } {
  const match = /^s3[an]?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`Not an s3 URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}

/** S3 DeleteObjects takes at most 1,000 keys per request. */
const DELETE_BATCH = 1000;

export class S3ObjectStore implements ObjectStore {
  private connection: Promise<{ sdk: Sdk; client: S3Client }> | undefined;

  constructor(private readonly options: S3StoreOptions) {}

  private connect(): Promise<{ sdk: Sdk; client: S3Client }> {
    this.connection ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.options.region,
        endpoint: this.options.endpoint,
        forcePathStyle: this.options.forcePathStyle,
      }),
    }));
    return this.connection;
  }

  /** S3 has no directories: a key prefix exists once an object is written under it. */
  async ensureDirectory(uri: string, options?: ConfinedAccess): Promise<void> {
    const refusal = outsideRoot(uri, options);
    if (refusal) throw refusal;
  }

  async put(uri: string, body: Uint8Array | string, options?: ConfinedAccess): Promise<void> {
    const refusal = outsideRoot(uri, options);
    if (refusal) throw refusal;
    const { sdk, client } = await this.connect();
    const { bucket, key } = parse(uri);
    await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }

  /**
   * Reads an object within the cap: a declared length over it is refused before the body is
   * read, and a body that turns out longer is abandoned at the cap. The signal aborts the
   * request and the body alike. Confinement to the root is by key prefix: S3 has no links.
   */
  async get(uri: string, options?: ReadOptions): Promise<Uint8Array | undefined> {
    const refusal = outsideRoot(uri, options);
    if (refusal) throw refusal;
    const signal = options?.signal;
    signal?.throwIfAborted();
    const { sdk, client } = await this.connect();
    const { bucket, key } = parse(uri);
    let response;
    try {
      response = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal as never });
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw signal?.aborted ? signal.reason : error;
    }
    const body = response.Body as (Readable & AsyncIterable<Uint8Array>) | undefined;
    if (!body) return new Uint8Array();
    const maxBytes = options?.maxBytes ?? Infinity;
    if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
      body.destroy();
      throw sizeCapError(uri, response.ContentLength, maxBytes);
    }
    const abort = () => body.destroy(signal?.reason as Error);
    signal?.addEventListener('abort', abort, { once: true });
    try {
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const chunk of body) {
        total += chunk.byteLength;
        if (total > maxBytes) throw sizeCapError(uri, total, maxBytes);
        chunks.push(chunk);
      }
      return Buffer.concat(chunks, total);
    } catch (error) {
      throw signal?.aborted ? signal.reason : error;
    } finally {
      signal?.removeEventListener('abort', abort);
      if (!body.readableEnded) body.destroy();
    }
  }

  async delete(uris: readonly string[], options?: ConfinedAccess): Promise<DeleteOutcome> {
    const refused: DeleteOutcome['refused'] = [];
    const byBucket = new Map<string, string[]>();
    for (const uri of uris) {
      const refusal = outsideRoot(uri, options);
      if (refusal) {
        refused.push({ uri, reason: refusal.reason });
        continue;
      }
      const { bucket, key } = parse(uri);
      const keys = byBucket.get(bucket);
      if (keys) keys.push(key);
      else byBucket.set(bucket, [key]);
    }
    if (byBucket.size === 0) return { refused };
    const { sdk, client } = await this.connect();
    for (const [bucket, keys] of byBucket) {
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        const batch = keys.slice(i, i + DELETE_BATCH);
        const response = await client.send(
          new sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        );
        const failures = (response.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
        if (failures.length > 0) {
          const error = new Error(`S3 refused to delete ${failures.length} objects, first: ${failures[0].Key}: ${failures[0].Message}`);
          // Per-key SlowDown or InternalError: the caller may try the batch again (deleting twice is harmless).
          error.name = failures[0].Code ?? 'DeleteObjectsError';
          throw error;
        }
      }
    }
    return { refused };
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const { sdk, client } = await this.connect();
    const { bucket, key } = parse(prefix);
    const keyPrefix = key === '' || key.endsWith('/') ? key : key + '/';
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: keyPrefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        yield { uri: `s3://${bucket}/${object.Key}`, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
