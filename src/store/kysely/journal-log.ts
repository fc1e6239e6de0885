import type { Kysely } from "kysely";
import type { WebhookEvent } from "../../events/types.js";
import { isWahookError, WahookError } from "../../errors.js";
import { openDeliveryLog, type OpenDeliveryLog } from "../log/delivery-log.js";
import type { LogPosition } from "../log/types.js";
import type { Database } from "../schema.js";
import type { Expansion, InboxLease } from "../store.js";
import type { StoreContext } from "./context.js";
import { expandInside } from "./journal-expand.js";

/**
 * The SQLite store's journal when it runs on a file: the delivery log (store/log/) in a directory
 * beside the database. The 200 then waits for one positional write and one fdatasync of the log,
 * instead of a SQLite transaction plus an fdatasync of a WAL that the bot and the outbox also
 * write to, so its cost no longer grows with the work behind it.
 *
 * The consumed position lives in the database (wahook_log_cursor) and moves in the same
 * transaction that records a batch's events: a crash before that commit expands the batch again,
 * and the wamid keys make the repeat a no-op. Segments go back to the log only once that commit
 * is durable (the WAL barrier), so a power loss cannot leave the cursor behind a recycled file.
 *
 * One process owns the log (its lock file). Another process opening the same database journals
 * into SQLite rows instead, and tries to take the log over every `retryMs`: once the owner is gone
 * it replays what the owner left.
 */
export interface LogJournal {
  /** appends when this process owns the log; false when it does not (the caller journals in SQLite) */
  append(bodies: readonly Buffer[]): Promise<boolean>;
  /** expands up to `limit` records after the cursor; undefined when this process does not own the log */
  expand(parse: (body: Uint8Array) => readonly WebhookEvent[], limit: number, nowMs: number, lease?: InboxLease): Promise<Expansion | undefined>;
  /** records appended or found at open and not yet expanded */
  pending(): number;
  close(): Promise<void>;
}

interface Owned {
  log: OpenDeliveryLog;
  cursor: LogPosition;
  pending: number;
}

const MAX_READ_BYTES = 16 * 1024 * 1024;

export function createLogJournal(ctx: StoreContext, options: { dir: string; report: (message: string) => void; retryMs?: number; nowMs?: () => number }): LogJournal {
  const now = options.nowMs ?? Date.now;
  const retryMs = options.retryMs ?? 5000;
  let own: Owned | undefined;
  let opening: Promise<Owned | undefined> | undefined;
  let retryAtMs = -Infinity;
  let closed = false;
  // One expansion at a time: two would read the same records from the same cursor.
  let expanding: Promise<unknown> = Promise.resolve();

  const readCursor = async (): Promise<LogPosition | undefined> => {
    const row = await ctx.db.selectFrom("wahook_log_cursor").select(["segment", "offset"]).where("id", "=", 1).executeTakeFirst();
    return row ? { segment: Number(row.segment), offset: Number(row.offset) } : undefined;
  };
  const writeCursor = (db: Kysely<Database>, at: LogPosition) =>
    db.insertInto("wahook_log_cursor").values({ id: 1, segment: at.segment, offset: at.offset }).onConflict((oc) => oc.column("id").doUpdateSet({ segment: at.segment, offset: at.offset })).execute();

  const open = async (): Promise<Owned | undefined> => {
    const start = await readCursor();
    let log: OpenDeliveryLog;
    try {
      log = await openDeliveryLog({ dir: options.dir, start });
    } catch (error) {
      if (isWahookError(error) && error.code === "DELIVERY_LOG_LOCKED") return undefined;
      throw error;
    }
    const { position, unreleasedBytes } = log.end();
    // Without a cursor the log is read from its oldest segment: any record there is foreign.
    if (start === undefined && unreleasedBytes > 0) {
      await log.close();
      throw new WahookError("STORE_UNAVAILABLE", `the delivery log ${options.dir} holds deliveries that this database has no record of (the database is new, or was replaced): move that directory aside if it belongs to another database, or put back the database it came with`);
    }
    // Written before the first append: records in a log whose database has no cursor are foreign.
    if (start === undefined) {
      await writeCursor(ctx.db, position);
      await ctx.sync();
    }
    return { log, cursor: start ?? position, pending: log.recoveredRecords };
  };

  const attach = async (): Promise<Owned | undefined> => {
    if (own !== undefined || closed) return own;
    if (opening) return opening;
    if (now() < retryAtMs) return undefined;
    opening = open()
      .then((opened) => {
        own = opened;
        if (opened === undefined) {
          if (retryAtMs === -Infinity) options.report(`another wahook process owns the delivery log ${options.dir}; this one journals into SQLite rows, and takes the log over once that process is gone`);
          retryAtMs = now() + retryMs;
        }
        return opened;
      })
      .finally(() => (opening = undefined));
    return opening;
  };

  return {
    async append(bodies) {
      const log = await attach();
      if (!log) return false;
      await log.log.append(bodies);
      log.pending += bodies.length;
      return true;
    },
    expand(parse, limit, nowMs, lease) {
      const run = expanding.then(async () => {
        const log = await attach();
        if (!log) return undefined;
        const records = await log.log.read(log.cursor, { maxRecords: limit, maxBytes: MAX_READ_BYTES });
        if (records.length === 0) return undefined;
        const next = lastNext(records);
        const expansion = await ctx.db.transaction().execute(async (trx) => {
          const done = await expandInside(ctx, trx, records.map((r) => r.body), parse, nowMs, lease);
          // A body whose parse threw is kept for an operator, as the row journal keeps it.
          for (const f of done.failed) await trx.insertInto("wahook_deliveries").values({ body: records[f.index]?.body as Buffer, received_at_ms: nowMs, expand_error: f.error }).execute();
          await writeCursor(trx, next);
          return done.expansion;
        });
        const leftSegment = next.segment !== log.cursor.segment;
        log.cursor = next;
        log.pending = Math.max(0, log.pending - records.length);
        if (leftSegment) {
          await ctx.sync();
          await log.log.release(next);
        }
        return expansion;
      });
      expanding = run.catch(() => undefined);
      return run;
    },
    pending: () => own?.pending ?? 0,
    async close() {
      closed = true;
      await expanding;
      await opening?.catch(() => undefined);
      await own?.log.close();
    },
  };
}

const lastNext = (records: readonly { next: LogPosition }[]): LogPosition => (records[records.length - 1] as { next: LogPosition }).next;
