import { badRequest } from '../../iceberg/errors.js';
import type { PageRequest } from '../../catalog/pagination.js';

export type PageQuery = { pageToken?: string; pageSize?: string };

export function pageRequest(query: PageQuery): PageRequest {
  let pageSize: number | undefined;
  if (query.pageSize !== undefined) {
    // An empty pageToken starts paging (spec); an empty pageSize is no number.
    pageSize = /^\d+$/.test(query.pageSize) ? Number(query.pageSize) : NaN;
    if (!Number.isInteger(pageSize) || pageSize < 1) throw badRequest(`Invalid pageSize: "${query.pageSize}" (expected a whole number of at least 1)`);
  }
  return { pageToken: query.pageToken, pageSize };
}
