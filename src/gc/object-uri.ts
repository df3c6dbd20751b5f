// The one spelling of an object's URI in the index, the same as gc_canonical_uri in
// migrations/20261122000000_object_index.sql: Java writes local paths as file:/x and Spark
// may write s3a:// or s3n://, while listings of storage give file:///x and s3://.
export function canonicalObjectUri(uri: string): string {
  if (/^file:\/[^/]/.test(uri)) return 'file:///' + uri.slice(6);
  if (/^s3[an]:\/\//.test(uri)) return 's3://' + uri.slice(6);
  return uri;
}

/** True when `uri` lies strictly under `root` (a warehouse location, without a trailing slash). */
export function isUnderRoot(root: string, uri: string): boolean {
  return uri.startsWith(root.replace(/\/+$/, '') + '/');
}
