// A local directory as object storage (file:// URIs): the embedded default's warehouse.
//
// Whatever sits at a path a commit named is opened only if it is a regular file: a named
// pipe would block the opening thread (and four of them, libuv's whole thread pool, every
// file operation of the process), a device never ends. Files are opened with O_NOFOLLOW |
// O_NONBLOCK after an lstat, and the handle is checked again with fstat. Directories below a
// warehouse root are reached by confined-directory.ts, never through a link.
import { constants, lstat, mkdir, open, opendir, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeFileType, openConfinedDirectory, type ConfinedDirectory } from './confined-directory.js';
import {
  RefusedObjectError,
  outsideRoot,
  sizeCapError,
  type ConfinedAccess,
  type DeleteOutcome,
  type ObjectStore,
  type ReadOptions,
  type StoredObject,
} from './object-store.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY, O_DIRECTORY } = constants;

/**
 * The path a file:// URI names, taken literally: engines (PyIceberg, Hadoop's Path) do not
 * percent-decode location paths, so `%20` or `%2e%2e` are plain characters here too, and a
 * location can never resolve outside the directory its text names.
 */
export function fileUriToPath(uri: string): string {
  // file:/x, file:///x or file://localhost/x; another authority (file://host/x) names no
  // local file, and must not be read as the path //host/x.
  const match = /^file:(?:\/\/([^/]*))?(\/.*)$/i.exec(uri);
  const authority = match?.[1];
  if (!match || (authority !== undefined && authority !== '' && authority.toLowerCase() !== 'localhost') || (authority === undefined && match[2].startsWith('//'))) {
    throw new Error(`Not a local file URI: ${uri}`);
  }
  const path = match[2];
  if (path.includes('\0')) throw new Error('NUL byte in file URI');
  if (path.split('/').some((segment) => segment === '..')) throw new Error(`'..' in file URI: ${uri}`);
  return path;
}

/** The file:/// URI of an absolute path, with the path kept literally. */
export function fileUri(path: string): string {
  return `file://${path}`;
}

/** The path of a URI the store works on; a URI it cannot take literally is refused. */
function toPath(uri: string): string {
  try {
    return fileUriToPath(uri);
  } catch (error) {
    throw new RefusedObjectError(uri, (error as Error).message);
  }
}

const DELETE_CONCURRENCY = 32;
/** Reads past the size the file had when opened come in pieces of this size. */
const EXTRA_CHUNK = 64 * 1024;

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** The directory as given, unchecked: for callers that pass no root (the file itself is still guarded). */
function literalDirectory(path: string): ConfinedDirectory {
  return { path, entry: (name) => join(path, name), close: async () => undefined };
}

export class FilesystemObjectStore implements ObjectStore {
  async put(uri: string, body: Uint8Array | string, options?: ConfinedAccess): Promise<void> {
    const refusal = outsideRoot(uri, options);
    if (refusal) throw refusal;
    const path = toPath(uri);
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    // Written in place, exclusively: objects are immutable, so an existing file is never
    // replaced, and nobody learns of a new file before the commit that publishes it, so no
    // reader can see it half written (a crash mid-write leaves an orphan for the collector).
    // O_EXCL also refuses whatever was planted at the name: a pipe, a link (even dangling).
    if (options?.root !== undefined) {
      const dir = await openConfinedDirectory(toPath(options.root), dirname(path), { create: true, uri });
      try {
        await writeNew(dir!.entry(basename(path)), bytes);
      } finally {
        await dir!.close();
      }
      return;
    }
    // The directory usually exists already; it is created only when the write says it does not.
    try {
      await writeNew(path, bytes);
    } catch (error) {
      if (code(error) !== 'ENOENT') throw error;
      await mkdir(dirname(path), { recursive: true });
      await writeNew(path, bytes);
    }
  }

  /**
   * Creates the directory and any missing parents. With a root, through confined-directory.ts:
   * a link below the root is refused, never followed, and a file in the way is refused.
   */
  async ensureDirectory(uri: string, options?: ConfinedAccess): Promise<void> {
    const refusal = outsideRoot(uri, options);
    if (refusal) throw refusal;
    const path = toPath(uri).replace(/\/+$/, '');
    if (options?.root === undefined) {
      await mkdir(path, { recursive: true });
      return;
    }
    const dir = await openConfinedDirectory(toPath(options.root), path, { create: true, uri });
    await dir!.close();
  }

  async get(uri: string, options?: ReadOptions): Promise<Uint8Array | undefined> {
    const refusal = outsideRoot(uri, options);
    if (refusal) throw refusal;
    options?.signal?.throwIfAborted();
    const path = toPath(uri);
    const dir =
      options?.root !== undefined
        ? await openConfinedDirectory(toPath(options.root), dirname(path), { create: false, uri })
        : literalDirectory(dirname(path));
    if (!dir) return undefined;
    try {
      return await readRegularFile(uri, dir.entry(basename(path)), options);
    } finally {
      await dir.close();
    }
  }

  async delete(uris: readonly string[], options?: ConfinedAccess): Promise<DeleteOutcome> {
    const refused: DeleteOutcome['refused'] = [];
    // Bounded: a thousand unlinks at once would exhaust file handles on a busy node.
    let next = 0;
    const worker = async () => {
      while (next < uris.length) {
        const uri = uris[next++];
        try {
          await deleteOne(uri, options);
        } catch (error) {
          if (!(error instanceof RefusedObjectError)) throw error;
          refused.push({ uri, reason: error.reason });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, uris.length) }, worker));
    return { refused };
  }

  /**
   * Regular files only, never through a link: a linked file is not listed and a linked
   * directory not entered (on Linux each directory is opened relative to its parent's handle
   * with O_NOFOLLOW, so one swapped for a link mid-listing is skipped too). `prefix` itself
   * is taken as given: it is a warehouse root.
   */
  async *list(prefix: string): AsyncIterable<StoredObject> {
    const base = toPath(prefix.endsWith('/') ? prefix : prefix + '/').replace(/\/+$/, '') || '/';
    const walk = async function* (literal: string, handle: FileHandle | undefined): AsyncIterable<StoredObject> {
      const here = handle ? `/proc/self/fd/${handle.fd}` : literal;
      let entries;
      try {
        entries = await opendir(here);
      } catch (error) {
        if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return;
        throw error;
      }
      for await (const entry of entries) {
        const full = join(literal, entry.name);
        const at = `${here}/${entry.name}`;
        if (entry.isDirectory()) {
          let child: FileHandle | undefined;
          if (handle) {
            try {
              child = await open(at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            } catch (error) {
              if (['ENOENT', 'ENOTDIR', 'ELOOP'].includes(code(error) ?? '')) continue;
              throw error;
            }
          }
          try {
            yield* walk(full, child);
          } finally {
            await child?.close();
          }
        } else if (entry.isFile()) {
          let info;
          try {
            info = await lstat(at);
          } catch (error) {
            if (code(error) === 'ENOENT') continue;
            throw error;
          }
          if (info.isFile()) yield { uri: fileUri(full), size: info.size, lastModified: info.mtime };
        }
      }
    };
    let root: FileHandle | undefined;
    if (process.platform === 'linux') {
      try {
        root = await open(base, O_RDONLY | O_DIRECTORY);
      } catch (error) {
        if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return;
        throw error;
      }
    }
    try {
      yield* walk(base, root);
    } finally {
      await root?.close();
    }
  }
}

async function writeNew(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, 0o666);
  try {
    await handle.writeFile(bytes);
  } finally {
    await handle.close();
  }
}

/**
 * Unlinks `uri` if its directories are real ones below the root (below `/` when no root is
 * given: without a root to trust, no link at all). The last component is never followed:
 * unlinking a symbolic link removes the link, its target stays.
 */
async function deleteOne(uri: string, options: ConfinedAccess | undefined): Promise<void> {
  const refusal = outsideRoot(uri, options);
  if (refusal) throw refusal;
  const path = toPath(uri);
  const dir = await openConfinedDirectory(options?.root !== undefined ? toPath(options.root) : '/', dirname(path), { create: false, uri });
  if (!dir) return;
  try {
    await unlink(dir.entry(basename(path)));
  } catch (error) {
    if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return;
    if (code(error) === 'EISDIR' || code(error) === 'EPERM') throw new RefusedObjectError(uri, 'a directory, not a file; not deleted');
    throw error;
  } finally {
    await dir.close();
  }
}

/** Reads a regular file whole, within the cap and the signal; anything else is refused unopened. */
async function readRegularFile(uri: string, path: string, options: ReadOptions | undefined): Promise<Uint8Array | undefined> {
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return undefined;
    throw error;
  }
  if (!info.isFile()) throw new RefusedObjectError(uri, `${describeFileType(info)}, not a regular file; not read`);
  const maxBytes = options?.maxBytes ?? Infinity;
  if (info.size > maxBytes) throw sizeCapError(uri, info.size, maxBytes);
  const signal = options?.signal;
  let handle: FileHandle;
  try {
    handle = await untilAborted(open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY), signal, (late) => void late.close());
  } catch (error) {
    if (code(error) === 'ENOENT') return undefined;
    if (code(error) === 'ELOOP') throw new RefusedObjectError(uri, 'a symbolic link; not read');
    throw error;
  }
  let settled = false;
  try {
    const opened = await handle.stat();
    // The name was swapped between the lstat and the open: read nothing that was not checked.
    if (!opened.isFile() || opened.ino !== info.ino || opened.dev !== info.dev) {
      throw new RefusedObjectError(uri, 'replaced while being opened; not read');
    }
    const bytes = await readAll(uri, handle, opened.size, maxBytes, signal);
    settled = true;
    return bytes;
  } finally {
    // After an abort a read may still be under way on the thread pool; closing would wait for it.
    if (settled || !signal?.aborted) await handle.close();
    else void handle.close().catch(() => undefined);
  }
}

async function readAll(uri: string, handle: FileHandle, size: number, maxBytes: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const first = Buffer.allocUnsafe(size);
  let total = 0;
  while (total < size) {
    const { bytesRead } = await untilAborted(handle.read(first, total, size - total, total), signal);
    if (bytesRead === 0) return first.subarray(0, total);
    total += bytesRead;
  }
  // The file grew after it was opened (still being written): read on, within the cap.
  const chunks: Buffer[] = [first];
  for (;;) {
    const chunk = Buffer.allocUnsafe(EXTRA_CHUNK);
    const { bytesRead } = await untilAborted(handle.read(chunk, 0, EXTRA_CHUNK, total), signal);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > maxBytes) throw sizeCapError(uri, total, maxBytes);
    chunks.push(chunk.subarray(0, bytesRead));
  }
  return chunks.length === 1 ? first : Buffer.concat(chunks, total);
}

/**
 * The promise, or the signal's reason once it aborts. File system calls cannot be cancelled:
 * the call carries on in the thread pool, and `onLate` disposes of a result that comes after.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, onLate?: (value: T) => void): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        if (signal.aborted) onLate?.(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}
