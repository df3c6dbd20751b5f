// After the index is current, a clone that no longer reaches any file under a clone source's
// location stops listing it (src/db/source-location-repository.ts): the next storage settings,
// vended credentials and signatures for it no longer cover the source, so a diverged clone
// cannot read what its source writes later. Conservative: a location stays while anything
// the table reaches lies under it or is not indexed yet, and a table that committed during the
// check keeps its list until the next run.
import type { Db } from '../db/database.js';
import { releaseSourceLocations, stillReads, tablesWithSources } from '../db/source-location-repository.js';

const PAGE = 100;

export async function releaseUnreadSources(db: Db, warehouseId?: string): Promise<{ checked: number; released: number }> {
  let checked = 0;
  let released = 0;
  let after: string | undefined;
  for (;;) {
    const page = await tablesWithSources(db, PAGE, after, warehouseId);
    for (const table of page) {
      checked += 1;
      const unread: string[] = [];
      for (const location of table.sourceLocations) if (!(await stillReads(db, table.tableId, location))) unread.push(location);
      if (unread.length > 0 && (await releaseSourceLocations(db, table.tableId, table.version, unread))) released += unread.length;
    }
    if (page.length < PAGE) return { checked, released };
    after = page[page.length - 1].tableId;
  }
}
