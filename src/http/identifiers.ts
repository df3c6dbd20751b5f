// Identifiers in paths and queries. A multi-level namespace travels as its levels joined by
// the unit separator 0x1F (spec: "namespace" path parameter), which Fastify has already
// percent-decoded by the time a route sees it.
import { badRequest } from '../iceberg/errors.js';

export const NAMESPACE_SEPARATOR = '\x1f';

export function decodeNamespace(raw: string | undefined): string[] {
  if (raw === undefined || raw === '') throw badRequest('Namespace is required');
  const levels = raw.split(NAMESPACE_SEPARATOR);
  if (levels.some((l) => l === '')) throw badRequest(`Invalid namespace: ${JSON.stringify(raw)}`);
  return levels;
}

export function decodeOptionalNamespace(raw: string | undefined): string[] | undefined {
  return raw === undefined || raw === '' ? undefined : decodeNamespace(raw);
}
