// How one clone operation turns its chosen sources into rows, inside its transaction: in
// slices, so that the JavaScript work of a slice (building each clone's document and the
// statement's JSON) runs while Postgres inserts the slice before it, on the machine's other
// core. A slice is a few statements (clone-rows.ts) however many tables it holds; an
// operation runs one per SLICE tables and views, not one per table.
import type { Tx } from '../db/database.js';
import { insertClonedRows } from '../db/clone-rows.js';
import type { ObjectStore } from '../storage/object-store.js';
import { GC_ENABLED } from './clone-metadata.js';
import { planTableClone, planViewClone, type PlanContext, type PlannedTableClone, type PlannedViewClone } from './clone-plans.js';

/** Tables and views per slice: large enough that a statement's fixed cost is small, small enough to overlap. */
const SLICE = 500;
/** Metadata files written at once while cloning many tables. */
const WRITE_CONCURRENCY = 16;

type DropFirst<T extends unknown[]> = T extends [unknown, ...infer Rest] ? Rest : never;

/** A clone the operation chose (under its locks), planned only when its slice comes. */
export type CloneIntent =
  | { kind: 'table'; args: DropFirst<Parameters<typeof planTableClone>> }
  | { kind: 'view'; args: DropFirst<Parameters<typeof planViewClone>> };

export interface InsertOptions {
  /** Write each slice's metadata files before its rows (false: they are pending, written after the commit). */
  writeFiles: boolean;
  store: ObjectStore;
  /** Every file written is added here, so the caller can delete them if its transaction fails. */
  written: string[];
  /** Maps a unique violation of a one-object operation to its error (a name taken meanwhile). */
  nameTaken: (error: unknown, only: PlannedTableClone | PlannedViewClone) => unknown;
}

/** Plans and inserts every intent; answers the plans, tables and views apart. */
export async function planAndInsert(
  tx: Tx,
  ctx: PlanContext,
  intents: CloneIntent[],
  options: InsertOptions,
): Promise<{ tables: PlannedTableClone[]; views: PlannedViewClone[] }> {
  const tables: PlannedTableClone[] = [];
  const views: PlannedViewClone[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  try {
    for (let start = 0; start < intents.length; start += SLICE) {
      const slice = { tables: [] as PlannedTableClone[], views: [] as PlannedViewClone[] };
      for (const intent of intents.slice(start, start + SLICE)) {
        if (intent.kind === 'table') slice.tables.push(planTableClone(ctx, ...intent.args));
        else slice.views.push(planViewClone(ctx, ...intent.args));
      }
      tables.push(...slice.tables);
      views.push(...slice.views);
      await inFlight;
      inFlight = insertSlice(tx, ctx, slice, options, intents.length === 1);
      // Observed at the next await; this keeps a failure meanwhile from counting as unhandled.
      inFlight.catch(() => undefined);
    }
    await inFlight;
  } catch (error) {
    await inFlight.catch(() => undefined);
    throw error;
  }
  return { tables, views };
}

async function insertSlice(
  tx: Tx,
  ctx: PlanContext,
  { tables, views }: { tables: PlannedTableClone[]; views: PlannedViewClone[] },
  options: InsertOptions,
  single: boolean,
): Promise<void> {
  if (options.writeFiles) {
    const files = [...tables, ...views].map((p) => ({ uri: p.clone.record.metadataLocation, json: p.clone.metadataJson }));
    await writeAll(options.store, files, ctx.warehouse.location, options.written);
  }
  // A source that gets gc.enabled=false in this operation (after the inserts) moves one version on.
  const lineage = [
    ...tables.map((p) => ({ ...p.lineage, sourceVersion: p.source.version + (p.sourceMetadata.properties[GC_ENABLED] === 'false' ? 0 : 1) })),
    ...views.map((p) => p.lineage),
  ];
  try {
    await insertClonedRows(tx, {
      tables: tables.map((p) => p.clone),
      views: views.map((p) => p.clone.record),
      expiresAt: ctx.expiresAt,
      filesPending: !options.writeFiles,
      lineage,
    });
  } catch (error) {
    const only = tables[0] ?? views[0];
    throw single && only ? options.nameTaken(error, only) : error;
  }
}

/**
 * Writes new metadata files, WRITE_CONCURRENCY at a time; each is added to `written` before
 * its write starts, so a failed operation can delete whatever may have landed. After a failure
 * no new write starts, and this settles only once the writes under way have: the caller's
 * cleanup then sees every file there is.
 */
export async function writeAll(store: ObjectStore, files: { uri: string; json: string }[], root: string, written: string[]): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < files.length && !failed) {
      const file = files[next++];
      written.push(file.uri);
      try {
        await store.put(file.uri, file.json, { root });
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(WRITE_CONCURRENCY, files.length) }, worker));
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw failure.reason;
}
