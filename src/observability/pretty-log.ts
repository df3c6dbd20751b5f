// Log lines for a person at a terminal (`npm start`): pino's JSON line in, one short line out,
// coloured by level when the terminal takes colours. Anywhere else (a container, a pipe, a
// file) the JSON lines stay as they are, for log collectors. Our own few lines rather than
// pino-pretty: a dozen more packages in the production image for output no deployment reads.
const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '\x1b[90m' },
  20: { name: 'DEBUG', color: '\x1b[36m' },
  30: { name: 'INFO', color: '\x1b[32m' },
  40: { name: 'WARN', color: '\x1b[33m' },
  50: { name: 'ERROR', color: '\x1b[31m' },
  60: { name: 'FATAL', color: '\x1b[35m' },
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
/** Said by the line itself, or the same on every line of a process. */
const IMPLIED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'err']);
/** A request line says these in its first words. */
const REQUEST_FIELDS = new Set(['method', 'path', 'route', 'status', 'durationMs']);

function valueText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** One pino JSON line as a readable line (a line that is not JSON comes back unchanged). */
export function formatLogLine(line: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const paint = (text: string, code: string) => (color ? `${code}${text}${RESET}` : text);
  const level = LEVELS[entry.level as number] ?? { name: String(entry.level ?? '?'), color: '' };
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const isRequest = typeof entry.method === 'string' && typeof entry.status === 'number';
  const words = [paint(time, DIM), paint(level.name.padEnd(5), level.color)];
  if (isRequest) words.push(`${entry.method} ${entry.path} ${entry.status} ${entry.durationMs} ms`, paint(String(entry.msg ?? ''), DIM));
  else words.push(String(entry.msg ?? ''));
  const fields = Object.entries(entry)
    .filter(([key]) => !IMPLIED.has(key) && !(isRequest && REQUEST_FIELDS.has(key)))
    .map(([key, value]) => paint(`${key}=`, DIM) + valueText(value));
  let out = [...words, ...fields].filter(Boolean).join(' ');
  const err = entry.err as { message?: string; stack?: string } | undefined;
  if (err && typeof err === 'object') {
    const detail = (err.stack ?? err.message ?? JSON.stringify(err)).split('\n').map((l) => `    ${l}`).join('\n');
    out += `\n${paint(detail, level.color)}`;
  }
  return out;
}

/** A destination for the app's logger that writes readable lines to a terminal. */
export function prettyLogStream(out: NodeJS.WriteStream): { write(chunk: string): void } {
  const color = out.hasColors?.() ?? false;
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(`${formatLogLine(line, color)}\n`);
    },
  };
}
