// Reading a metadata file a client asks the catalog to adopt (registerTable, registerView).
// The client names the file: only a regular file inside the warehouse, within the
// collector's cap for metadata files, is read, and never for longer than the timeout.
import type { Warehouse } from '../db/warehouse-repository.js';
import { badRequest, notFound, serviceUnavailable } from '../iceberg/errors.js';
import { parseJson } from '../json/int64-json.js';
import { RefusedObjectError, type ObjectStore } from '../storage/object-store.js';

const REGISTER_METADATA_MAX_BYTES = 32 * 1024 * 1024;
const REGISTER_READ_TIMEOUT_MS = 30_000;

/**
 * The parsed JSON of the file at `metadataLocation` (already confined to the warehouse). A file
 * a large tree clone committed but has not written yet is read from its pending document (the
 * bytes the file will hold), so registering a fresh clone's metadata does not race its writer.
 */
export async function readRegisteredMetadata(
  store: ObjectStore,
  warehouse: Warehouse,
  metadataLocation: string,
  pendingDocument: (location: string) => Promise<string | undefined> = async () => undefined,
): Promise<unknown> {
  let bytes: Uint8Array | undefined;
  try {
    const signal = AbortSignal.timeout(REGISTER_READ_TIMEOUT_MS);
    bytes = await store.get(metadataLocation, { root: warehouse.location, maxBytes: REGISTER_METADATA_MAX_BYTES, signal });
  } catch (error) {
    if (error instanceof RefusedObjectError) throw badRequest(`Cannot register ${metadataLocation}: ${error.reason}`);
    throw serviceUnavailable(`Could not read ${metadataLocation}: ${(error as Error).message}`);
  }
  if (!bytes) {
    const pending = await pendingDocument(metadataLocation);
    if (pending === undefined) throw notFound(`Failed to open input stream for file: ${metadataLocation}`);
    bytes = Buffer.from(pending);
  }
  try {
    return parseJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw badRequest(`Cannot register ${metadataLocation}: ${(error as Error).message}`);
  }
}
