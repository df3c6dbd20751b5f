// The one spelling of an object's URI, used wherever the catalog stores, compares or deletes
// one (design: clones-and-gc.md, guarantees 1 and 5). It must equal gc_canonical_uri in
// migrations/20261201000000_canonical_uris.sql, character for character: the triggers that
// keep roots spell URIs with that function, the indexer and the orphan listing with this one,
// and test/integration/canonical-uri.test.ts compares the two on a corpus.
//
// Local files (file:): one object has many spellings, because the filesystem resolves them
// (`file:/x` as Java writes it, `file:///x`, `file://localhost/x`, `/./`, `//`, `a/../`). All
// become `file:///` and the path with `.` and empty segments dropped and `..` resolved
// lexically (above `/` it stays at `/`, as POSIX does). Lexical resolution equals the
// filesystem's because the catalog never follows a symlink inside a warehouse. A file: URI
// with another authority (`file://host/x`) names no local file and is left as it is.
//
// S3 (s3:, s3a:, s3n:, any case): the scheme becomes s3 and the bucket and key stay exactly as
// written: S3 keys are strings, and `a//b`, `a/./b` and `a/b` are three different objects.
//
// Paths are never percent-decoded: engines' FileIOs take location paths literally.

export function canonicalObjectUri(uri: string): string {
  const lower = uri.slice(0, 6).toLowerCase();
  if (/^s3[an]?:\/\//.test(lower)) return 's3://' + uri.slice(uri.indexOf('://') + 3);
  if (!lower.startsWith('file:')) return uri;
  const rest = uri.slice(5);
  let path: string;
  if (rest.startsWith('//')) {
    const afterSlashes = rest.slice(2);
    const slash = afterSlashes.indexOf('/');
    if (slash < 0) return uri;
    const authority = afterSlashes.slice(0, slash);
    if (authority !== '' && authority.toLowerCase() !== 'localhost') return uri;
    path = afterSlashes.slice(slash);
  } else if (rest.startsWith('/')) {
    path = rest;
  } else {
    return uri;
  }
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return 'file:///' + segments.join('/');
}

/** True when `uri` lies strictly under `root` (a warehouse location, without a trailing slash). */
export function isUnderRoot(root: string, uri: string): boolean {
  return uri.startsWith(root.replace(/\/+$/, '') + '/');
}

/**
 * The longest URI the catalog stores, in UTF-8 bytes. Postgres indexes storage_object.uri
 * and table locations in B-trees, whose entries may not exceed about 2,700 bytes; S3 keys
 * end at 1,024 bytes and Linux paths at 4,096. Longer names are refused where a request
 * brings them (400) and make a manifest that holds them unreadable.
 */
export const MAX_URI_BYTES = 2048;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws when no file can have this name (NUL, a lone surrogate) or the index cannot hold it. */
export function requireIndexableUri(uri: string): void {
  if (uri.includes('\0')) throw new Error(`a file name with a NUL byte: ${JSON.stringify(uri.slice(0, 200))}`);
  if (LONE_SURROGATE.test(uri)) throw new Error(`a file name that is not Unicode (a lone surrogate): ${JSON.stringify(uri.slice(0, 200))}`);
  const bytes = Buffer.byteLength(uri, 'utf8');
  if (bytes > MAX_URI_BYTES) throw new Error(`a file name of ${bytes} bytes, over the ${MAX_URI_BYTES} the catalog stores: ${uri.slice(0, 200)}…`);
}
