// The query-string parser the router uses. Unlike the default, it never hides a client mistake:
// a parameter given twice stays visible (an array, which the request checks refuse), and a
// value that is not percent-encoded UTF-8 is kept as an UndecodableValue instead of being
// replaced with U+FFFD. It must not throw: the router calls it outside any error handling.

export class UndecodableValue {
  constructor(readonly raw: string) {}
}

export type QueryValue = string | UndecodableValue;
export type ParsedQuery = Record<string, QueryValue | QueryValue[]>;

function decodeComponent(raw: string): QueryValue {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return new UndecodableValue(raw);
  }
}

export function parseQueryString(query: string): ParsedQuery {
  const parsed: ParsedQuery = Object.create(null);
  if (query === '') return parsed;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const rawKey = equals < 0 ? pair : pair.slice(0, equals);
    const key = decodeComponent(rawKey);
    const name = typeof key === 'string' ? key : rawKey;
    const value = key instanceof UndecodableValue ? key : decodeComponent(equals < 0 ? '' : pair.slice(equals + 1));
    const existing = parsed[name];
    if (existing === undefined) parsed[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else parsed[name] = [existing, value];
  }
  return parsed;
}
