// Page tokens (spec: PageToken) are opaque to clients; ours carry the last key returned.
import { badRequest } from '../iceberg/errors.js';

export interface PageRequest {
  pageToken?: string;
  pageSize?: number;
}

export const MAX_PAGE_SIZE = 1000;

export function encodePageToken(lastKey: string | string[]): string {
  return Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url');
}

export function decodePageToken<T extends string | string[]>(token: string, isValid: (v: unknown) => v is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isValid(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw badRequest(`Invalid page token: ${token}`);
}

/**
 * Without a token a client gets everything and no next token (spec: "listNamespaces");
 * an empty token starts paging.
 */
export function pageWindow(page: PageRequest): { paged: boolean; limit?: number } {
  if (page.pageToken === undefined) return { paged: false };
  const size = page.pageSize ?? 100;
  if (!Number.isInteger(size) || size < 1) throw badRequest(`Invalid page size: ${page.pageSize}`);
  return { paged: true, limit: Math.min(size, MAX_PAGE_SIZE) };
}
