// Iceberg snapshot ids are random int64 values, usually beyond 2^53, so the JavaScript
// number type cannot hold them. Everything that crosses a JSON boundary (request bodies,
// stored metadata documents, responses) goes through this module: integers outside the
// safe range become bigint, everything else stays a plain number, and both serialize back
// to exactly the digits they came from.
import { parse as losslessParse, stringify as losslessStringify, isInteger } from 'lossless-json';

export type Int64 = number | bigint;

function parseNumber(text: string): number | bigint {
  if (isInteger(text)) {
    const asNumber = Number(text);
    return Number.isSafeInteger(asNumber) ? asNumber : BigInt(text);
  }
  return Number(text);
}

export function parseJson(text: string): unknown {
  return losslessParse(text, null, parseNumber);
}

export function stringifyJson(value: unknown): string {
  const text = losslessStringify(value);
  if (text === undefined) throw new TypeError('value cannot be serialized to JSON');
  return text;
}

/** Normalises any integer representation to the canonical one used by parseJson. */
export function toInt64(value: number | bigint | string): Int64 {
  const big = typeof value === 'bigint' ? value : BigInt(value);
  const asNumber = Number(big);
  return Number.isSafeInteger(asNumber) ? asNumber : big;
}

export function isInt64(value: unknown): value is Int64 {
  return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint';
}

export function int64Equals(a: Int64 | null | undefined, b: Int64 | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a == b;
  return BigInt(a) === BigInt(b);
}

/** A string key for maps and sets, since 5 and 5n are different keys in a Map. */
export function int64Key(value: Int64): string {
  return value.toString();
}

export function compareInt64(a: Int64, b: Int64): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

