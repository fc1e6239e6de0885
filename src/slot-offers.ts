import type { createWorkPool } from "./work-pool.js";

/** A worker's free slots promised to the stage before it, for new work it leases to the worker. */
export interface SlotOffer<T> {
  /** at most this many items */
  limit: number;
  /** call once, with what was leased ([] if the stage failed): the slots come back */
  take(items: readonly T[]): void;
}

/**
 * The bookkeeping both handoffs share (the expansion to the bot, the completion to the sender):
 * slots promised to offers under way, and no offers while older work may wait for a claim (the
 * last claim came back full, or the caller said so), so new work cannot overtake it. After
 * close() nothing taken is started: the app's stop gives those leases back (releaseLeases).
 */
export function createSlotOffers<T>(
  pool: ReturnType<typeof createWorkPool>,
  options: { batchSize: number; start: (items: readonly T[]) => void; onSlotsFree?: () => void },
) {
  let offered = 0;
  let backlog = true;
  let closed = false;
  // A tick that found every free slot promised: its loop sleeps, so the next take() wakes it.
  let starved = false;

  const free = () => Math.max(0, pool.free() - offered);

  return {
    /** slots neither running nor promised: what a claim may take */
    free,
    offer(): SlotOffer<T> | undefined {
      const limit = Math.min(free(), options.batchSize);
      if (backlog || limit === 0 || closed) return undefined;
      offered += limit;
      let open = true;
      return {
        limit,
        take: (items) => {
          if (!open) return;
          open = false;
          offered -= limit;
          if (starved) {
            starved = false;
            options.onSlotsFree?.();
          }
          if (items.length > 0 && !closed) options.start(items);
        },
      };
    },
    /** a claim asked for `limit` and got `got`: a full one means more may wait */
    claimed(got: number, limit: number) {
      backlog = got === limit;
    },
    /** older work may wait for a claim: no offers until a claim comes back short */
    mayWait() {
      backlog = true;
    },
    backlog: () => backlog,
    /** every free slot is promised: the caller's loop sleeps until a take() calls onSlotsFree */
    starve() {
      starved = true;
    },
    close() {
      closed = true;
    },
  };
}
