// How long names may be and how deep namespaces may go. These are the catalog's own rules (the
// Iceberg spec sets none); openapi/catalog.yaml states the same limits, and the HTTP router's
// limit on a path parameter is derived from them (src/http/input-limits.ts), so every name that
// can be created can be addressed, and so dropped, again.
import { badRequest } from '../iceberg/errors.js';

/**
 * Namespace depth. Engines use one to three levels (Hive, Spark and Trino: one); 16 leaves room
 * for deep hierarchies while bounding the work of ancestor checks and tree clones.
 */
export const MAX_NAMESPACE_DEPTH = 16;

/** Characters (code points) in one namespace level, table name or warehouse name: a common file-name limit. */
export const MAX_NAME_LENGTH = 255;

/**
 * UTF-8 bytes of a namespace's levels joined by the separator. A client percent-encodes each byte
 * into at most three characters, so the path of any namespace that can be created stays within
 * 3 x this many characters.
 */
export const MAX_NAMESPACE_BYTES = 1024;

/** A name about to be created: 1 to MAX_NAME_LENGTH characters, no NUL. */
export function requireValidName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name === '') throw badRequest(`Invalid ${what}: expected a non-empty name`);
  if (name.includes('\0')) throw badRequest(`Invalid ${what}: contains a NUL character (U+0000)`);
  const length = [...name].length;
  if (length > MAX_NAME_LENGTH) throw badRequest(`Invalid ${what}: ${length} characters (at most ${MAX_NAME_LENGTH})`);
  return name;
}
