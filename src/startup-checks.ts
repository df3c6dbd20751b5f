// Faults at start that an operator fixes by changing one setting: each becomes one line that
// names the variable (a ConfigError, printed by cli.ts), instead of a stack trace.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, type Config } from './config.js';
import { isDatabaseUnavailable } from './db/postgres-errors.js';

const reasonOf = (error: unknown) => {
  const e = error as { code?: string; message?: string };
  return e?.code && e.message && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : String(e?.message ?? error);
};

/** The folder exists (or is created) and this process can write into it. */
export async function requireWritableFolder(path: string, variable: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
    const probe = join(path, `.write-check-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (error) {
    throw new ConfigError(
      `${variable}: cannot write to ${path} (${reasonOf(error)}); set ${variable} to a folder this process (uid ${process.getuid?.() ?? '?'}) can write to`,
    );
  }
}

/** The database URL without its password, for messages. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

const AUTH_OR_MISSING: Record<string, string> = {
  '28P01': 'the password was refused',
  '28000': 'the server refused the login',
  '3D000': 'the database does not exist',
};

/** A one-line ConfigError for a database the catalog cannot use at start, or undefined when the error is something else. */
export function databaseStartupError(error: unknown, url: string | undefined): ConfigError | undefined {
  if (!url) return undefined;
  const code = (error as { code?: unknown })?.code;
  const known = typeof code === 'string' ? AUTH_OR_MISSING[code] : undefined;
  if (!known && !isDatabaseUnavailable(error)) return undefined;
  const where = `CATALOG_DATABASE_URL: cannot use the database at ${describeDatabaseUrl(url)}`;
  if (known) return new ConfigError(`${where} (${known}); fix CATALOG_DATABASE_URL`);
  return new ConfigError(
    `${where} (${reasonOf(error)}); check that Postgres runs and is reachable from here, or fix CATALOG_DATABASE_URL (unset it for the embedded database)`,
  );
}

/** A one-line ConfigError for a port that cannot be listened on, or undefined for other errors. */
export function listenError(error: unknown, variable: string, host: string, port: number): ConfigError | undefined {
  const code = (error as { code?: unknown })?.code;
  if (code === 'EADDRINUSE') {
    return new ConfigError(`${variable}: port ${port} on ${host} is already in use; stop what listens there or set ${variable} to a free port`);
  }
  if (code === 'EACCES') {
    return new ConfigError(`${variable}: not permitted to listen on port ${port} on ${host}; set ${variable} to a port above 1023`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new ConfigError(`CATALOG_HOST: ${host} is not an address of this machine; set CATALOG_HOST to one (0.0.0.0 for all)`);
  }
  return undefined;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/i;

/**
 * An open catalog is a loopback catalog: listening elsewhere with authentication off would
 * let anyone who can reach the port read, drop and purge every table. The operator may say
 * otherwise (an authenticating proxy in front), explicitly.
 */
export function requireAuthenticationOffLoopback(config: Pick<Config, 'host' | 'auth'>): void {
  if (config.auth.mode !== 'off' || config.auth.allowUnauthenticated || LOOPBACK.test(config.host)) return;
  throw new ConfigError(
    `CATALOG_AUTHENTICATION: authentication is off and CATALOG_HOST is ${config.host}, so anyone who can reach the port could read, ` +
      'change and delete every table; set CATALOG_AUTHENTICATION to catalog or oidc, listen on 127.0.0.1, or set ' +
      'CATALOG_ALLOW_UNAUTHENTICATED=true if an authenticating proxy stands in front',
  );
}
