// A bounded commit load for fault tests: one client per table, each appending snapshots in a
// loop the way Iceberg clients commit: load the table, then commit a snapshot on top of
// main's head with `assert-ref-snapshot-id`. After an answer that leaves the outcome unknown
// (503, no answer) the client loads the table again before the next commit, as clients do,
// so a commit that landed anyway is seen and never committed twice.
import { RestClient, appendSnapshot, bigSnapshotId } from './rest-client.js';

export interface LoadEvent {
  at: number;
  /** The base URL the request went to (a process restarted meanwhile has another). */
  target: string;
  kind: 'load' | 'commit';
  /** HTTP status, or 0 when no answer came (refused, reset, timed out). */
  status: number;
  detail?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SnapshotLoad {
  readonly events: LoadEvent[] = [];
  /** Snapshot ids whose commit was answered 200, per table. */
  readonly acknowledged = new Map<string, string[]>();
  private running = true;
  private readonly workers: Promise<void>[];

  constructor(
    /** Where to send requests now (a restarted process has a new address). */
    private readonly baseUrl: () => string,
    private readonly namespace: string[],
    tables: string[],
    private readonly options: { maxCommitsPerTable: number; requestTimeoutMs: number },
  ) {
    for (const table of tables) this.acknowledged.set(table, []);
    this.workers = tables.map((table) => this.work(table));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  get commitsAcknowledged(): number {
    return [...this.acknowledged.values()].reduce((sum, ids) => sum + ids.length, 0);
  }

  /** Events in [from, to). */
  between(from: number, to: number): LoadEvent[] {
    return this.events.filter((e) => e.at >= from && e.at < to);
  }

  private client() {
    return new RestClient(this.baseUrl(), 'default', this.options.requestTimeoutMs);
  }

  private async send(kind: LoadEvent['kind'], request: (client: RestClient) => Promise<{ status: number; body: any }>) {
    const client = this.client();
    const target = client.baseUrl;
    try {
      const response = await request(client);
      this.events.push({
        at: Date.now(),
        target,
        kind,
        status: response.status,
        ...(response.status >= 500 ? { detail: String(response.body?.error?.message ?? '') } : {}),
      });
      return response;
    } catch (error) {
      this.events.push({ at: Date.now(), target, kind, status: 0, detail: String((error as Error).cause ?? (error as Error).message) });
      return undefined;
    }
  }

  private async work(table: string) {
    const acknowledged = this.acknowledged.get(table)!;
    for (let commits = 0; this.running && commits < this.options.maxCommitsPerTable; ) {
      const loaded = await this.send('load', (c) => c.loadTable(this.namespace, table));
      if (loaded?.status !== 200) {
        await sleep(100);
        continue;
      }
      const metadata = loaded.body.metadata;
      const parent = metadata['current-snapshot-id'] ?? null;
      const id = bigSnapshotId();
      const committed = await this.send('commit', (c) =>
        c.commit(
          this.namespace,
          table,
          [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent === -1 ? null : parent }],
          [
            { action: 'add-snapshot', snapshot: appendSnapshot(id, parent === -1 ? null : parent, Number(metadata['last-sequence-number']) + 1, metadata.location) },
            { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
          ],
        ),
      );
      commits += 1;
      if (committed?.status === 200) acknowledged.push(id.toString());
      else await sleep(100);
    }
  }
}
