// Writes the first metadata files of large tree clones after their transaction commits
// (CATALOG_CLONE_INLINE_METADATA_FILES). Why this stays correct while a file is not written yet:
//
// - Engines: every load, commit and credential answer is served from the table's row, which
//   holds the document; Iceberg REST clients take the metadata from the response. The file is
//   needed only by whoever opens `metadata-location` itself (registering the table elsewhere,
//   a hand-run tool): it appears within moments of the clone's answer.
// - Commits on the clone meanwhile: the next version is written as usual; its metadata log
//   names the pending file, which is written later all the same (it stays pending until then).
// - The collector: the file's index entry exists from the clone's commit (a root, so never a
//   deletion candidate while the table keeps it), and the indexer leaves it unread while it is
//   pending (reading it early would record "file not found" for good and miss the statistics
//   files it names); an entry still pending holds back deletions released after it.
// - A drop, purge or release meanwhile: a file is written only while its index entry is live,
//   and that entry is held shared during the write, so the collector cannot delete it (a no-op
//   on a missing file) and then have it appear behind its back; one the collector deleted or
//   is deleting is forgotten, not written.
// - A crash between commit and write: the rows stay; every replica drains them at start and
//   then periodically, and two replicas never claim the same row (SKIP LOCKED). A file left
//   half written by a crash is replaced: its name is unguessable before the clone answered,
//   and the writer writes what the row holds.
import type { Db } from '../db/database.js';
import { detachedFromRequest } from '../db/commit-steps.js';
import {
  claimPendingMetadataFiles,
  clearPendingMetadataFiles,
  dropAbandonedPendingFiles,
  type PendingMetadataFile,
} from '../db/pending-metadata-repository.js';
import type { ObjectStore } from '../storage/object-store.js';

/** Files claimed per transaction, and written at once within it. */
const CLAIM = 64;
const CONCURRENCY = 16;
/** A drain gives up after this many failures (storage is likely refusing every write). */
const FAILURES_PER_DRAIN = 256;

export interface PendingWriterLog {
  warn(details: object, message: string): void;
}

export class PendingMetadataWriter {
  private draining: Promise<number> | undefined;
  private again = false;

  /** Until the server's logger is attached (main.ts): warnings go to stderr as JSON lines. */
  log: PendingWriterLog = {
    warn: (details, message) => process.stderr.write(`${JSON.stringify({ level: 40, msg: message, err: String((details as { err?: unknown }).err) })}\n`),
  };

  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
  ) {}

  /** Starts draining in the background (after a clone commits); errors are logged, the rows stay for the next drain. */
  kick(): void {
    detachedFromRequest(() => {
      void this.drain().catch((error: unknown) => this.log.warn({ err: error }, 'writing pending metadata files failed; retried later'));
    });
  }

  /**
   * Writes every pending file no other writer holds; resolves to how many this call wrote.
   * A call while one runs joins it (and makes it look again once done).
   */
  drain(): Promise<number> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    const run = async () => {
      let written = 0;
      try {
        do {
          this.again = false;
          await dropAbandonedPendingFiles(this.db);
          // Files that failed in this drain are left to the next one (periodic), and are not
          // claimed again now: one file storage keeps refusing never holds up the others.
          const failed: string[] = [];
          for (;;) {
            const batch = await this.db.transaction().execute(async (tx) => {
              const claimed = await claimPendingMetadataFiles(tx, CLAIM, failed);
              const done = await this.writeAll(claimed);
              await clearPendingMetadataFiles(tx, done);
              const ok = new Set(done);
              failed.push(...claimed.filter((f) => !ok.has(f.metadataLocation)).map((f) => f.metadataLocation));
              return { claimed: claimed.length, done: done.length };
            });
            written += batch.done;
            if (batch.claimed < CLAIM || failed.length > FAILURES_PER_DRAIN) break;
          }
        } while (this.again);
      } finally {
        this.draining = undefined;
      }
      return written;
    };
    this.draining = run();
    return this.draining;
  }

  /** Resolves once no drain runs in this process (shutdown waits for it before closing the pool). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining.catch(() => undefined);
  }

  /** Writes the files, CONCURRENCY at a time; answers the locations written. */
  private async writeAll(files: PendingMetadataFile[]): Promise<string[]> {
    const done: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const file = files[next++];
        try {
          await this.writeOne(file);
          done.push(file.metadataLocation);
        } catch (error) {
          this.log.warn({ err: error, uri: file.metadataLocation }, 'a pending metadata file could not be written; retried later');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
    return done;
  }

  private async writeOne(file: PendingMetadataFile): Promise<void> {
    const options = { root: file.root };
    try {
      await this.store.put(file.metadataLocation, file.metadataJson, options);
      return;
    } catch (error) {
      // A store that writes exclusively (the file system) refuses a name that exists: an
      // earlier attempt's write that a crash cut short, or that landed before its row was
      // cleared. Same bytes: done; others: replaced by what the row holds.
      const existing = await this.store.get(file.metadataLocation, options).catch(() => undefined);
      if (existing === undefined) throw error;
      if (Buffer.from(existing).equals(Buffer.from(file.metadataJson))) return;
      await this.store.delete([file.metadataLocation], options);
      await this.store.put(file.metadataLocation, file.metadataJson, options);
    }
  }
}
