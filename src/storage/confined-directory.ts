// Reaching a directory below a warehouse root without passing a symbolic link. Node has no
// openat(2), so on Linux each step is taken relative to the directory opened before it,
// through its /proc/self/fd entry, with O_NOFOLLOW: a directory swapped for a link between
// two steps is refused, not followed, and the file finally read, written or unlinked is the
// one in the directory checked. Elsewhere (no /proc) each literal prefix is checked with
// lstat, which leaves a window between the check and the use; production runs on Linux.
import { existsSync } from 'node:fs';
import { constants, lstat, mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { RefusedObjectError } from './object-store.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;
const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd');

/** A directory reached without links; its entries are addressed through `entry`. */
export interface ConfinedDirectory {
  /** The literal path, for messages and listings. */
  readonly path: string;
  /** A path naming `name` in this very directory (not whatever now sits at the literal path). */
  entry(name: string): string;
  close(): Promise<void>;
}

export interface WalkOptions {
  /** Creates missing directories (a write) instead of answering undefined (a read or delete). */
  create: boolean;
  /** The object the walk is for, named in refusals. */
  uri: string;
}

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** Describes what a non-regular file is, for refusals. */
export function describeFileType(info: { isSymbolicLink(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * Opens `dir` (an absolute path equal to or below `root`), refusing a link or a non-directory
 * anywhere below `root`. The root itself is followed: it is the operator's. Undefined when a
 * directory on the way does not exist (or is a file) and `create` is off.
 */
export async function openConfinedDirectory(root: string, dir: string, options: WalkOptions): Promise<ConfinedDirectory | undefined> {
  const base = root === '/' ? '' : root.replace(/\/+$/, '');
  if (dir !== base && !dir.startsWith(base + '/')) throw new RefusedObjectError(options.uri, `outside the root ${root}`);
  const steps = dir.slice(base.length).split('/').filter((s) => s !== '');
  return PROC_FD ? walkByHandles(base || '/', steps, options) : walkByPaths(base || '/', steps, options);
}

async function openDirectory(path: string, follow: boolean): Promise<FileHandle> {
  return open(path, O_RDONLY | O_DIRECTORY | (follow ? 0 : O_NOFOLLOW));
}

async function walkByHandles(root: string, steps: string[], options: WalkOptions): Promise<ConfinedDirectory | undefined> {
  let handle: FileHandle;
  try {
    handle = await openDirectory(root, true);
  } catch (error) {
    if (code(error) === 'ENOENT' && options.create) {
      await mkdir(root, { recursive: true });
      handle = await openDirectory(root, true);
    } else if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') {
      if (options.create) throw new RefusedObjectError(options.uri, `${root} is not a directory`);
      return undefined;
    } else throw error;
  }
  let literal = root;
  try {
    for (const step of steps) {
      literal = join(literal, step);
      const next = `/proc/self/fd/${handle.fd}/${step}`;
      let child: FileHandle | undefined;
      for (let attempt = 0; child === undefined; attempt++) {
        try {
          child = await openDirectory(next, false);
        } catch (error) {
          if (code(error) === 'ENOENT' && options.create && attempt === 0) {
            await mkdir(next).catch((e: unknown) => {
              if (code(e) !== 'EEXIST') throw e;
            });
            continue;
          }
          if (code(error) === 'ENOENT' && !options.create) {
            await handle.close();
            return undefined;
          }
          if (code(error) !== 'ENOTDIR' && code(error) !== 'ELOOP') throw error;
          const info = await lstat(next);
          if (info.isSymbolicLink() || options.create) {
            throw new RefusedObjectError(options.uri, `${literal} is ${describeFileType(info)}; not followed`);
          }
          await handle.close();
          return undefined;
        }
      }
      await handle.close();
      handle = child;
    }
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  const opened = handle;
  return { path: literal, entry: (name) => `/proc/self/fd/${opened.fd}/${name}`, close: () => opened.close() };
}

async function walkByPaths(root: string, steps: string[], options: WalkOptions): Promise<ConfinedDirectory | undefined> {
  let literal = root;
  for (let i = -1; i < steps.length; i++) {
    if (i >= 0) literal = join(literal, steps[i]);
    let info;
    try {
      // The root is followed (it is the operator's); nothing below it is.
      info = i < 0 ? await stat(literal) : await lstat(literal);
    } catch (error) {
      if (code(error) !== 'ENOENT') throw error;
      if (!options.create) return undefined;
      await mkdir(literal, { recursive: i < 0 }).catch((e: unknown) => {
        if (code(e) !== 'EEXIST') throw e;
      });
      info = i < 0 ? await stat(literal) : await lstat(literal);
    }
    if (!info.isDirectory()) {
      if (info.isSymbolicLink() || options.create) throw new RefusedObjectError(options.uri, `${literal} is ${describeFileType(info)}; not followed`);
      return undefined;
    }
  }
  const path = literal;
  return { path, entry: (name) => join(path, name), close: async () => undefined };
}
