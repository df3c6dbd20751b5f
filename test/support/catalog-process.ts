// The catalog as a separate process on a free loopback port, as production runs it: used
// where a test or benchmark needs real processes (several replicas, memory of its own).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface CatalogProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Standard output lines (JSON log lines), when `captureLog` was set. */
  log: string[];
  /** Standard error lines, when `captureLog` was set (a crash's stack trace lands here). */
  stderr: string[];
}

/** The process's exit code once it has exited (at once if it already has). */
export function exitOf(catalog: CatalogProcess): Promise<number | null> {
  const { child } = catalog;
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

export async function startCatalogProcess(options: {
  /** Node arguments before `serve`: e.g. ['dist/src/cli.js'] or ['--import', 'tsx', 'src/cli.ts']. */
  entry: string[];
  env: Record<string, string>;
  captureLog?: boolean;
}): Promise<CatalogProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...options.entry, 'serve'], {
    env: { ...process.env, CATALOG_HOST: '127.0.0.1', CATALOG_PORT: String(port), CATALOG_METRICS_PORT: '0', CATALOG_GC_SCHEDULE: 'off', CATALOG_SHUTDOWN_DRAIN_MS: '0', ...options.env },
    stdio: options.captureLog ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
  });
  const log: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => log.push(...chunk.toString().split('\n').filter(Boolean)));
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(...chunk.toString().split('\n').filter(Boolean)));
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    if (await fetch(`${baseUrl}/health/ready`).then((r) => r.ok).catch(() => false)) return { child, baseUrl, log, stderr };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill();
  throw new Error(`catalog process did not start: ${log.join('\n')}`);
}
