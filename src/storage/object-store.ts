// Object storage, addressed by absolute URIs (file://, s3://, memory://). The catalog only
// writes immutable files and reads them back; deletion belongs to the garbage collector.
//
// The files a commit names are not the catalog's to trust: a manifest list may be a named
// pipe, a device or a 10 GiB file, and a table directory may be a symbolic link out of the
// warehouse. So every operation can be confined to a warehouse root (`root`): on a local
// directory no directory below the root may be a symbolic link, and only regular files are
// read; reads take a size cap and an abort signal. Refusals are errors of their own
// (`RefusedObjectError`), so callers can tell "this file can never be read" from "try again".
export interface StoredObject {
  uri: string;
  size: number;
  lastModified: Date;
}

export interface ConfinedAccess {
  /**
   * The warehouse root the URI must lie under. On a local directory every directory between
   * the root and the file must be a real directory (the root itself and its ancestors are the
   * operator's and may be links). Without it a local store guards the file itself only, and a
   * delete refuses a symbolic link anywhere in the path.
   */
  root?: string;
}

export interface ReadOptions extends ConfinedAccess {
  /** A larger object is refused (RefusedObjectError) without being read into memory. */
  maxBytes?: number;
  /** Aborts the read (its reason is thrown, e.g. a TimeoutError from AbortSignal.timeout). */
  signal?: AbortSignal;
}

export interface DeleteOutcome {
  /** Objects left in place on purpose, with the reason (never retried: the reason stays true). */
  refused: { uri: string; reason: string }[];
}

export interface ObjectStore {
  /** Writes a whole object; writers never overwrite (every metadata file name is new). */
  put(uri: string, body: Uint8Array | string, options?: ConfinedAccess): Promise<void>;
  /** The object's bytes, or undefined when it does not exist. */
  get(uri: string, options?: ReadOptions): Promise<Uint8Array | undefined>;
  /**
   * Deletes objects; an object already gone is not an error. A symbolic link is removed
   * itself (its target is untouched); a path through a linked directory is refused.
   */
  delete(uris: readonly string[], options?: ConfinedAccess): Promise<DeleteOutcome>;
  /** Every object whose URI starts with `prefix`: regular files only, never through a link. */
  list(prefix: string): AsyncIterable<StoredObject>;
  /**
   * Makes sure the directory `uri` exists, for engines that write into a local table
   * directory without creating it (DuckDB). A no-op where directories are only key prefixes
   * (S3, memory). Refuses (RefusedObjectError) a link or a file in the way.
   */
  ensureDirectory(uri: string, options?: ConfinedAccess): Promise<void>;
}

/**
 * An object the store will not read, write or delete, for a reason that will not change on
 * a retry: not a regular file, a link on the way, over the size cap, outside the root.
 */
export class RefusedObjectError extends Error {
  override readonly name: string = 'RefusedObjectError';
  constructor(
    readonly uri: string,
    readonly reason: string,
  ) {
    super(`${uri}: ${reason}`);
  }
}

/** True when `uri` lies strictly under `root` (compared as text: the stores take paths literally). */
export function liesUnder(root: string, uri: string): boolean {
  return uri.startsWith(root.replace(/\/+$/, '') + '/');
}

/** The refusal for an object outside the root it was confined to, or undefined. */
export function outsideRoot(uri: string, options: ConfinedAccess | undefined): RefusedObjectError | undefined {
  if (options?.root === undefined || liesUnder(options.root, uri)) return undefined;
  return new RefusedObjectError(uri, `outside the warehouse root ${options.root}`);
}

/** A refusal by size: the caller may decide to try again with a larger cap. */
export class ObjectTooLargeError extends RefusedObjectError {
  constructor(
    uri: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(uri, `${size} bytes, over the ${maxBytes}-byte cap for this kind of file`);
  }
}

export function sizeCapError(uri: string, size: number, maxBytes: number): ObjectTooLargeError {
  return new ObjectTooLargeError(uri, size, maxBytes);
}

/** Picks the store by URI scheme, so one catalog can read a registered file:// table and write s3://. */
export class ObjectStoreRouter implements ObjectStore {
  constructor(private readonly byScheme: Record<string, ObjectStore>) {}

  private storeFor(uri: string): ObjectStore {
    // file:/x is Hadoop's spelling of file:///x (engines write it; the RCK does).
    const scheme = (/^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1] ?? /^(file):\/(?!\/)/i.exec(uri)?.[1])?.toLowerCase();
    const normalized = scheme === 's3a' || scheme === 's3n' ? 's3' : scheme;
    const store = normalized ? this.byScheme[normalized] : undefined;
    if (!store) throw new UnsupportedLocationError(uri);
    return store;
  }

  put(uri: string, body: Uint8Array | string, options?: ConfinedAccess) {
    return this.storeFor(uri).put(uri, body, options);
  }

  get(uri: string, options?: ReadOptions) {
    return this.storeFor(uri).get(uri, options);
  }

  async delete(uris: readonly string[], options?: ConfinedAccess): Promise<DeleteOutcome> {
    const groups = new Map<ObjectStore, string[]>();
    for (const uri of uris) {
      const store = this.storeFor(uri);
      const group = groups.get(store);
      if (group) group.push(uri);
      else groups.set(store, [uri]);
    }
    const refused: DeleteOutcome['refused'] = [];
    for (const [store, group] of groups) refused.push(...(await store.delete(group, options)).refused);
    return { refused };
  }

  list(prefix: string) {
    return this.storeFor(prefix).list(prefix);
  }

  ensureDirectory(uri: string, options?: ConfinedAccess) {
    return this.storeFor(uri).ensureDirectory(uri, options);
  }
}

export class UnsupportedLocationError extends Error {
  constructor(readonly uri: string) {
    super(`No object store is configured for ${uri}`);
  }
}
