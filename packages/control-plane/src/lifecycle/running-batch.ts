// Moves to `running` that arrive together (create results read from many agent sockets in one
// event-loop turn) written in one round trip: each row keeps its own guard (still in the status it
// was read in, not deleted) and its own events row, exactly as transition() writes them one by
// one. Which rows to move, and when, is the callers' (outcomes.ts); legality is checked there.
import { columnNames, columnsWithout, mapRow } from '../db/map-row.js';
import type { Db } from '../db/open.js';
import { queryPrepared, type PreparedStatement } from '../db/prepared.js';
import { containers, type ContainerRow, type ContainerStatus } from '../db/schema/containers.js';

export interface RunningMove {
  id: string;
  /** The status the row was read in; the move applies only if it still has it. */
  from: ContainerStatus;
  hostId: string | null;
  startedAt: Date;
  sessionExpiresAt: Date | null;
  eventReason: string;
  actorUserId: string | null;
}

interface Waiting {
  move: RunningMove;
  resolve(row: ContainerRow | null): void;
  reject(error: unknown): void;
}

/** Rows per statement; more wait for the next one (a big array costs as much to encode). */
const MAX_BATCH = 256;

const ROW_COLUMNS = columnsWithout(containers, ['setupLog', 'setupLogTruncated']);

// One text whatever the batch size (the moves travel as arrays), so it is prepared once per
// connection. rexec_move_to_running (migration 0006) updates each row by its primary key and
// appends its event; the setup log stays in Postgres.
const MOVE: PreparedStatement = {
  name: 'rexec_move_to_running',
  text: `select ${columnNames(ROW_COLUMNS)}
    from rexec_move_to_running($1::text[], $2::text[], $3::text[], $4::timestamptz[],
      $5::timestamptz[], $6::text[], $7::text[])`,
};

/**
 * One per database, main.ts's (createRunningBatcher): the moves waiting for the next statement,
 * and whether one is in flight. Only one is, so under load the moves that arrive during a
 * statement all go in the next one; when idle a move goes at the end of the current event-loop
 * turn, after whatever arrived with it.
 */
export class RunningBatcher {
  #waiting: Waiting[] = [];
  #scheduled = false;
  #inFlight = false;
  /** Resolved (and emptied) each time nothing is waiting or in flight. */
  #onIdle: (() => void)[] = [];

  constructor(private readonly db: Db) {}

  /**
   * Moves one row to `running` in the next batched statement; resolves with the new row, or null
   * when the row was no longer in `move.from` (or was deleted) by then. Rejects when the statement
   * fails, with every move of that statement.
   */
  move(move: RunningMove): Promise<ContainerRow | null> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ move, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once every move asked for so far is written (or failed): before the pool closes. */
  flush(): Promise<void> {
    if (this.#idle()) return Promise.resolve();
    return new Promise((resolve) => this.#onIdle.push(resolve));
  }

  #idle(): boolean {
    return !this.#scheduled && !this.#inFlight && this.#waiting.length === 0;
  }

  #schedule(): void {
    if (this.#idle()) {
      for (const resolve of this.#onIdle.splice(0)) resolve();
      return;
    }
    if (this.#scheduled || this.#inFlight || this.#waiting.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#write();
    });
  }

  async #write(): Promise<void> {
    const batch = this.#take();
    this.#inFlight = true;
    try {
      const rows = await writeMoves(
        this.db,
        batch.map((waiting) => waiting.move),
      );
      for (const waiting of batch) waiting.resolve(rows.get(waiting.move.id) ?? null);
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      this.#inFlight = false;
      this.#schedule();
    }
  }

  /**
   * Up to MAX_BATCH moves, one per container: a second move of the same row waits for the next
   * statement, so it sees the first one's outcome (and fails its guard) as it would one by one.
   */
  #take(): Waiting[] {
    const batch: Waiting[] = [];
    const later: Waiting[] = [];
    const ids = new Set<string>();
    for (const waiting of this.#waiting) {
      if (batch.length >= MAX_BATCH || ids.has(waiting.move.id)) {
        later.push(waiting);
      } else {
        ids.add(waiting.move.id);
        batch.push(waiting);
      }
    }
    this.#waiting = later;
    return batch;
  }
}

export function createRunningBatcher(db: Db): RunningBatcher {
  return new RunningBatcher(db);
}

async function writeMoves(
  db: Db,
  moves: readonly RunningMove[],
): Promise<Map<string, ContainerRow>> {
  const iso = (date: Date | null) => (date === null ? null : date.toISOString());
  const rows = await queryPrepared<Record<string, unknown>>(db, MOVE, [
    moves.map((move) => move.id),
    moves.map((move) => move.from),
    moves.map((move) => move.hostId),
    moves.map((move) => iso(move.startedAt)),
    moves.map((move) => iso(move.sessionExpiresAt)),
    moves.map((move) => move.eventReason),
    moves.map((move) => move.actorUserId),
  ]);
  const byId = new Map<string, ContainerRow>();
  for (const raw of rows) {
    const row = mapRow<ContainerRow>(ROW_COLUMNS, raw);
    byId.set(row.id, row);
  }
  return byId;
}
