// Swapping table names (Snowflake's SWAP WITH) and promoting a validated clone into its
// source's place. Both are one transaction over locked rows: readers see the old names or
// the new ones, never a mix.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import { lineageRecord, lockTables } from '../db/clone-repository.js';
import { replaceGrants } from '../db/grant-repository.js';
import { markTableDropped, findTable, type TableHead } from '../db/table-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { badRequest, commitFailed, noSuchTable } from '../iceberg/errors.js';
import { tableName, type TableIdentifier } from '../catalog/identifiers.js';

export interface SwapPair {
  first: TableIdentifier;
  second: TableIdentifier;
}

async function requireHead(db: Db, warehouse: Warehouse, id: TableIdentifier): Promise<TableHead> {
  const head = await findTable(db, warehouse.id, id.namespace, id.name);
  if (!head) throw noSuchTable(tableName(id.namespace, id.name));
  return head;
}

async function moveTable(tx: Tx, tableId: string, namespaceId: string, name: string): Promise<void> {
  await tx.updateTable('iceberg_table').set({ namespace_id: namespaceId, name, updated_at: sql`now()` }).where('table_id', '=', tableId).execute();
}

export class TableSwap {
  constructor(private readonly db: Db) {}

  async swap(warehouse: Warehouse, pairs: SwapPair[]): Promise<void> {
    if (pairs.length === 0) throw badRequest('Nothing to swap');
    const heads = await Promise.all(
      pairs.map(async (p) => [await requireHead(this.db, warehouse, p.first), await requireHead(this.db, warehouse, p.second)] as const),
    );
    const ids = heads.flatMap(([a, b]) => [a.id, b.id]);
    if (new Set(ids).size !== ids.length) throw badRequest('A table may appear only once in a swap');
    await this.db.transaction().execute(async (tx) => {
      const locked = await lockTables(tx, warehouse.id, { tableIds: ids });
      if (locked.length !== ids.length) throw noSuchTable('a table of the swap was dropped concurrently');
      // Names are unique among live tables, so each pair goes through a temporary name.
      for (const [a, b] of heads) {
        const aNow = locked.find((t) => t.id === a.id)!;
        const bNow = locked.find((t) => t.id === b.id)!;
        await moveTable(tx, a.id, aNow.namespaceId, `swap-${crypto.randomUUID()}`);
        await moveTable(tx, b.id, aNow.namespaceId, aNow.name);
        await moveTable(tx, a.id, bNow.namespaceId, bNow.name);
      }
    });
  }

  /**
   * Puts a clone in its source's place: the source is dropped (restorable) and the clone
   * takes its name, keeping no expiry. Refused with 409 when the source was committed to
   * since the clone was taken, unless forced.
   */
  async promote(warehouse: Warehouse, clone: TableIdentifier, target: TableIdentifier, force: boolean): Promise<void> {
    const cloneHead = await requireHead(this.db, warehouse, clone);
    const targetHead = await requireHead(this.db, warehouse, target);
    const lineage = await lineageRecord(this.db, cloneHead.id);
    if (!lineage || lineage.sourceTableId !== targetHead.id) {
      throw badRequest(`${tableName(clone.namespace, clone.name)} is not a clone of ${tableName(target.namespace, target.name)}`);
    }
    await this.db.transaction().execute(async (tx) => {
      const locked = await lockTables(tx, warehouse.id, { tableIds: [cloneHead.id, targetHead.id] });
      const targetNow = locked.find((t) => t.id === targetHead.id);
      if (locked.length !== 2 || !targetNow) throw noSuchTable('a table of the promotion was dropped concurrently');
      if (!force && targetNow.version !== lineage.sourceVersion) {
        throw commitFailed(
          `Table ${tableName(target.namespace, target.name)} changed since the clone was taken ` +
            `(version ${lineage.sourceVersion}, now ${targetNow.version}); promote with force to replace it anyway`,
        );
      }
      await markTableDropped(tx, targetHead.id, false, 'replaced-by-promote');
      await moveTable(tx, cloneHead.id, targetNow.namespaceId, targetNow.name);
      // With the target's place the clone takes who controls it: the target's owner and grants
      // (its own are dropped). Promoting never hands production to the cloner, nor cuts off
      // production's readers.
      await tx.updateTable('iceberg_table').set({ expires_at: null, owner: targetHead.owner }).where('table_id', '=', cloneHead.id).execute();
      await replaceGrants(tx, targetHead.id, cloneHead.id);
    });
  }
}
