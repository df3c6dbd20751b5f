// Conditional loads (If-None-Match) of tables and views.

/** The If-None-Match candidate that matches `etag` by weak comparison, or undefined. */
export function matchingTag(header: string | undefined, etag: string): string | undefined {
  if (!header) return undefined;
  for (const raw of header.split(',')) {
    const candidate = raw.trim();
    if (candidate === '*') return etag;
    if (candidate.replace(/^W\//, '') === etag) return candidate;
  }
  return undefined;
}
