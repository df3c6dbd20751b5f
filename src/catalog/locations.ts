// Table locations must stay inside the warehouse root: the garbage collector deletes only
// there, and a table pointed elsewhere could have another system's files deleted under it
// (design: clones-and-gc.md, guarantee 5).
import { MAX_URI_BYTES, canonicalObjectUri, isUnderRoot } from '../gc/object-uri.js';
import { badRequest } from '../iceberg/errors.js';

/**
 * Normalises a storage URI: no trailing slash, no empty or dot segments; refuses `..`.
 * Paths are taken literally, never percent-decoded, as engines' FileIOs take them.
 * `file:/path` (the form Hadoop writes) becomes `file:///path`.
 */
export function normalizeLocation(location: string): string {
  const trimmed = location.trim().replace(/^file:\/(?!\/)/i, 'file:///');
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/]*)(\/.*)?$/.exec(trimmed);
  if (!match) throw badRequest(`Invalid location: ${location} is not an absolute URI`);
  const [, rawScheme, authority, path = ''] = match;
  const scheme = rawScheme.toLowerCase();
  if (location.includes('\0')) throw badRequest('Invalid location: contains a NUL byte');
  if (Buffer.byteLength(location, 'utf8') > MAX_URI_BYTES) throw badRequest(`Invalid location: longer than ${MAX_URI_BYTES} bytes`);
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw badRequest(`Invalid location: ${location} contains '..'`);
  const normalizedScheme = scheme === 's3a' || scheme === 's3n' ? 's3' : scheme;
  return `${normalizedScheme}://${authority}${segments.length ? '/' + segments.join('/') : ''}`;
}

export function isWithin(root: string, location: string): boolean {
  const r = normalizeLocation(root);
  const l = normalizeLocation(location);
  return l === r || l.startsWith(r.endsWith('/') ? r : r + '/');
}

export function requireWithinWarehouse(warehouseRoot: string, location: string): string {
  const normalized = normalizeLocation(location);
  if (!isWithin(warehouseRoot, normalized) || normalized === normalizeLocation(warehouseRoot)) {
    throw badRequest(`Location ${location} is outside the warehouse root ${warehouseRoot}`);
  }
  return normalized;
}

const MAX_PATH_SEGMENT = 200;

/**
 * A file a commit names (a manifest list, a statistics file, a registered metadata file) must
 * lie inside the warehouse root, compared in canonical form (src/gc/object-uri.ts), so that
 * `/./`, `//` or another scheme spelling cannot reach outside it. `..` is refused outright,
 * percent-encoded too: engines differ in whether they resolve it (Hadoop's Path does, S3 keys
 * do not), and no engine writes it.
 */
export function requireFileWithinWarehouse(warehouseRoot: string, uri: unknown, role: string): void {
  if (typeof uri !== 'string' || uri === '') throw badRequest(`Invalid ${role}: a URI is required`);
  if (uri.includes('\0')) throw badRequest(`Invalid ${role} ${JSON.stringify(uri)}: contains a NUL byte`);
  if (Buffer.byteLength(uri, 'utf8') > MAX_URI_BYTES) throw badRequest(`Invalid ${role}: longer than ${MAX_URI_BYTES} bytes`);
  if (uri.split('/').some((segment) => /^(\.|%2e){2}$/i.test(segment))) throw badRequest(`Invalid ${role} ${uri}: contains '..'`);
  if (!isUnderRoot(canonicalObjectUri(warehouseRoot), canonicalObjectUri(uri))) {
    throw badRequest(`The ${role} ${uri} is outside the warehouse root ${warehouseRoot}`);
  }
}

/**
 * One identifier part as a directory name. Engines treat location paths literally (no
 * percent-decoding), so the name keeps only characters every FileIO and object store
 * handles alike; anything else becomes `_`. Names may then collide (`a b` and `a_b`), which
 * is harmless: every table directory also carries a random id.
 */
export function pathSegment(name: string): string {
  // At most 200 characters: a directory name must fit the common 255-byte limit of file
  // systems with a table's `-<random id>` (33 characters) after it.
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, MAX_PATH_SEGMENT);
  return /^\.*$/.test(safe) ? safe.replace(/\./g, '_') || '_' : safe;
}

/**
 * Where a namespace's tables go when neither it nor the table names a location:
 * `<warehouse root>/<one path segment per level>`. Computed, never stored: namespaces cannot
 * be renamed, so the default of a namespace never changes, and nothing needs migrating.
 */
export function defaultNamespaceLocation(warehouseRoot: string, levels: string[]): string {
  return `${warehouseRoot.replace(/\/+$/, '')}/${levels.map(pathSegment).join('/')}`;
}

/** Equal, or one lies inside the other (both normalised). */
export function locationsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(b + '/') || b.startsWith(a + '/');
}
