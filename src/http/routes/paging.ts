import { badRequest } from '../../iceberg/errors.js';
import type { PageRequest } from '../../catalog/pagination.js';

export type PageQuery = { pageToken?: string; pageSize?: string };

export function pageRequest(query: PageQuery): PageRequest {
  let pageSize: number | undefined;
  if (query.pageSize !== undefined && query.pageSize !== '') {
    pageSize = Number(query.pageSize);
    if (!Number.isInteger(pageSize) || pageSize < 1) throw badRequest(`Invalid pageSize: ${query.pageSize}`);
  }
  return { pageToken: query.pageToken, pageSize };
}
