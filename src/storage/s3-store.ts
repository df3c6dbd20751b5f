// S3 or any S3-compatible store (s3:// URIs). Credentials come from the AWS default chain
// (environment, profile, web identity, instance role), never from our configuration files.
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectStore, StoredObject } from './object-store.js';

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
  readonly client: S3Client;

  constructor(options: S3StoreOptions) {
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
    });
  }

  async put(uri: string, body: Uint8Array | string): Promise<void> {
    const { bucket, key } = parse(uri);
    await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }

  async get(uri: string): Promise<Uint8Array | undefined> {
    const { bucket, key } = parse(uri);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async delete(uris: readonly string[]): Promise<void> {
    const byBucket = new Map<string, string[]>();
    for (const uri of uris) {
      const { bucket, key } = parse(uri);
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), key]);
    }
    for (const [bucket, keys] of byBucket) {
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        const batch = keys.slice(i, i + DELETE_BATCH);
        const response = await this.client.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        );
        const failures = (response.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
        if (failures.length > 0) {
          throw new Error(`S3 refused to delete ${failures.length} objects, first: ${failures[0].Key}: ${failures[0].Message}`);
        }
      }
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const { bucket, key } = parse(prefix);
    const keyPrefix = key === '' || key.endsWith('/') ? key : key + '/';
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: keyPrefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        yield { uri: `s3://${bucket}/${object.Key}`, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
