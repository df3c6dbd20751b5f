// Partition and sort transforms (spec: "Partition Transforms"): which exist, and which
// source types each one can be applied to.
import { badRequest } from './errors.js';
import type { IcebergType } from './table-metadata.js';

const TEMPORAL_DATES = ['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'];
const TIMESTAMPS = ['timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'];
const BUCKETABLE = ['int', 'long', 'date', 'time', 'string', 'uuid', 'binary', ...TIMESTAMPS];
const TRUNCATABLE = ['int', 'long', 'string', 'binary'];

function baseType(type: string): string {
  if (type.startsWith('decimal')) return 'decimal';
  if (type.startsWith('fixed')) return 'fixed';
  if (type.startsWith('geometry')) return 'geometry';
  if (type.startsWith('geography')) return 'geography';
  return type;
}

/** Throws a 400 when `transform` is unknown or cannot take a column of `sourceType`. */
export function checkTransform(transform: string, sourceType: IcebergType, columnName: string): void {
  const parameterized = /^(bucket|truncate)\[\s*(\d+)\s*\]$/.exec(transform);
  if (/^(bucket|truncate)$/.test(transform)) throw badRequest(`Invalid transform: ${transform} needs a width, as in ${transform}[16]`);
  const name = parameterized ? parameterized[1] : transform;
  if (parameterized && Number(parameterized[2]) <= 0) throw badRequest(`Invalid transform: ${transform}`);
  if (name === 'void') return;
  if (typeof sourceType !== 'string') {
    throw badRequest(`Invalid source type for ${transform}: ${columnName} is not a primitive column`);
  }
  const type = baseType(sourceType);
  let ok: boolean;
  switch (name) {
    case 'identity':
      ok = !['variant', 'geometry', 'geography', 'unknown'].includes(type);
      break;
    case 'year':
    case 'month':
    case 'day':
      ok = TEMPORAL_DATES.includes(type);
      break;
    case 'hour':
      ok = TIMESTAMPS.includes(type);
      break;
    case 'bucket':
      ok = BUCKETABLE.includes(type) || type === 'decimal' || type === 'fixed';
      break;
    case 'truncate':
      ok = TRUNCATABLE.includes(type) || type === 'decimal';
      break;
    default:
      throw badRequest(`Unknown transform: ${transform}`);
  }
  if (!ok) throw badRequest(`Invalid source type ${sourceType} for transform ${transform} on ${columnName}`);
}
