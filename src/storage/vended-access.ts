// What a vended S3 credential may do, as an IAM session policy (pure). A table's files lie
// under its own location and, for a clone, under its sources' locations (and theirs): an
// engine reads all of them, writes only where the table itself writes, and deletes nothing
// (deleting is the collector's, which knows what a clone still reads).

export interface VendedAccess {
  /** s3:// prefixes (ending with '/') the credential may read and list. */
  read: readonly string[];
  /** s3:// prefixes (ending with '/') the credential may also write; empty for read-only. */
  write: readonly string[];
}

interface S3Prefix {
  bucket: string;
  /** The key prefix, ending with '/' (empty: the whole bucket, never produced for a table). */
  key: string;
}

/** `s3://bucket/a/b/` (s3a, s3n too) as bucket and key prefix; undefined for anything else. */
export function parseS3Prefix(uri: string): S3Prefix | undefined {
  const match = /^s3[an]?:\/\/([^/]+)\/(.*)$/i.exec(uri);
  if (!match || match[1] === '') return undefined;
  const key = match[2].replace(/\/*$/, '/');
  // A table location is never the bucket root; a prefix that would be is refused, not widened.
  if (key === '/') return undefined;
  return { bucket: match[1], key };
}

const READ_OBJECT = ['s3:GetObject', 's3:GetObjectVersion'];
// PutObject covers every part of a multipart upload (create, upload part, complete); abort and
// list parts are their own actions. Never s3:DeleteObject.
const WRITE_OBJECT = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];

/**
 * The session policy for `access`: GetObject on every read prefix, ListBucket on each bucket
 * only for keys under its read prefixes, GetBucketLocation (clients ask for the region), and
 * PutObject with multipart on the write prefixes. Prefixes that are not S3 are left out.
 */
export function sessionPolicy(access: VendedAccess): { Version: string; Statement: object[] } {
  const reads = outermost(access.read.map(parseS3Prefix).filter((p): p is S3Prefix => p !== undefined));
  const writes = outermost(access.write.map(parseS3Prefix).filter((p): p is S3Prefix => p !== undefined));
  const statements: object[] = [];
  if (reads.length > 0) {
    statements.push({ Effect: 'Allow', Action: READ_OBJECT, Resource: unique(reads.map(objectArn)) });
    const byBucket = new Map<string, string[]>();
    for (const p of reads) byBucket.set(p.bucket, [...(byBucket.get(p.bucket) ?? []), p.key, `${p.key}*`]);
    for (const [bucket, keys] of byBucket) {
      statements.push({ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${bucket}`], Condition: { StringLike: { 's3:prefix': unique(keys) } } });
    }
    statements.push({ Effect: 'Allow', Action: ['s3:GetBucketLocation'], Resource: unique(reads.map((p) => `arn:aws:s3:::${p.bucket}`)) });
  }
  if (writes.length > 0) statements.push({ Effect: 'Allow', Action: WRITE_OBJECT, Resource: unique(writes.map(objectArn)) });
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * The prefixes not inside another of the list (a table's data path under its location, a
 * clone under its source's): the same access in fewer words, for a policy that must be short.
 */
function outermost(prefixes: S3Prefix[]): S3Prefix[] {
  return prefixes.filter((p, i) => !prefixes.some((q, j) => q.bucket === p.bucket && (j < i ? p.key.startsWith(q.key) : p.key.startsWith(q.key) && p.key !== q.key)));
}

/** STS refuses an inline session policy longer than this (in characters, whitespace included). */
export const SESSION_POLICY_LIMIT = 2048;

/** The policy as STS gets it, or undefined when it is too long for one session. */
export function sessionPolicyText(access: VendedAccess): string | undefined {
  const text = JSON.stringify(sessionPolicy(access));
  return text.length <= SESSION_POLICY_LIMIT ? text : undefined;
}

const objectArn = (p: S3Prefix) => `arn:aws:s3:::${p.bucket}/${p.key}*`;
const unique = (values: string[]) => [...new Set(values)];

/** A role session name from a principal: at most 64 of [\w+=,.@-] (STS's rule). */
export function roleSessionName(principal: string): string {
  const cleaned = principal.replace(/[^\w+=,.@-]/g, '-').slice(0, 56);
  return `catalog-${cleaned || 'anonymous'}`;
}
