/**
 * How busy the webhook is, for the background stages (expansion, bot, sender) to give way. A
 * delivery is "in flight" from its body being read until its answer; Meta waits on each one and
 * retries slow answers, while a reply that starts a few milliseconds later costs nothing.
 *
 * The webhook is busy while `busyAt` or more deliveries are in flight, and for `holdMs` after they
 * drop below that. The hold is what makes a closed-loop flood visible: when a group commit
 * answers 50 waiting requests at once, the count falls to zero for the ~0.1 ms their clients take
 * to send the next ones, which then sit unread in socket buffers where no counter sees them.
 *
 * The webhook is flooded while it is busy AND the bodies acknowledged over the last second exceed
 * `floodBytesPerSec` (more than the server can turn into replies, so the backlog grows whatever
 * we do), or once it has been busy without a break for `floodAfterBusyMs` (senders holding many
 * connections open on us, as Meta does while it delivers a backlog). While flooded, background
 * ticks share the core by a duty cycle: each tick's duration is charged, and ticks wait until
 * background work has used at most `share` of the time since (one account for all loops).
 * Without that, every tick ran whole and the full server acked 0.14x the reference while the
 * receive path alone made 0.49x. Without the busy-spell rule the workers could keep the core from
 * the acks, which then stayed below the flood rate: in the bench's closed loop at 1.2 KB, 4 runs
 * of 11 settled at 1,800-2,600 acks/s with the workers keeping up, the others at 5,600-10,200/s
 * (with the rule, 4 of 4 at 6,900-8,700/s). Otherwise nothing is throttled, even while busy: in an
 * open-loop overload at 2,000 msg/s, where the acks need a fifth of the core, a 10% share cut the
 * replies from 1,605/s to 1,175/s (docs/BENCHMARKS.md). A wait never exceeds maxWaitMs; under a
 * sustained flood the journal holds the backlog, and the bot still moves.
 */
export interface LoadGate {
  enter(): void;
  /** the delivery was answered; `bodyBytes` of it were read */
  leave(bodyBytes: number): void;
  /** resolves at once while the webhook is quiet; while busy, once the duty cycle allows a tick (at most maxWaitMs) */
  quiet(): Promise<void>;
  /** wraps a background tick so that its duration is charged to the duty cycle */
  paced<T>(tick: () => Promise<T>): () => Promise<T>;
}

export interface LoadGateOptions {
  busyAt: number;
  holdMs: number;
  /** the fraction of time background ticks may take while the webhook is busy, 0 < share <= 1 */
  share: number;
  /** ingress above which a busy webhook counts as flooded (duty cycle on) */
  floodBytesPerSec: number;
  /** a busy spell this long counts as a flood whatever the ingress */
  floodAfterBusyMs: number;
  maxWaitMs: number;
  /** a monotonic clock in ms; defaults to performance.now */
  nowMs?: () => number;
}

export function createLoadGate(options: LoadGateOptions): LoadGate {
  const now = options.nowMs ?? (() => performance.now());
  let inFlight = 0;
  // Infinity while busy; afterwards the time the hold ends.
  let busyUntilMs = -Infinity;
  // When the current busy spell began (a spell goes on through its holds).
  let busySinceMs = Infinity;
  // Background ticks have been paid for up to here: a tick of d ms moves it d * (1 - share) / share on.
  let paidUntilMs = -Infinity;
  // Ticks under way: while busy, one at a time, or the loops waiting for the same moment would
  // all start at once and take three times the share.
  let running = 0;
  // Bytes answered in the current and the previous second; flooded while either is over the bound.
  let windowStartMs = -Infinity;
  let windowBytes = 0;
  let previousBytes = 0;
  const flooded = (t: number) => {
    if (t - windowStartMs >= 1000) {
      previousBytes = t - windowStartMs < 2000 ? windowBytes : 0;
      windowBytes = 0;
      windowStartMs = t;
    }
    const spell = busyUntilMs === Infinity || t < busyUntilMs ? t - busySinceMs : 0;
    return spell >= options.floodAfterBusyMs || Math.max(windowBytes, previousBytes) > options.floodBytesPerSec;
  };
  let onQuieter = new Set<() => void>();
  const recheckAll = () => {
    const waiting = onQuieter;
    onQuieter = new Set();
    for (const recheck of waiting) recheck();
  };

  const readyAt = (t: number) => (inFlight < options.busyAt && t >= busyUntilMs) || !flooded(t) || (t >= paidUntilMs && running === 0);

  return {
    enter() {
      inFlight += 1;
      if (inFlight >= options.busyAt && busyUntilMs !== Infinity) {
        const t = now();
        if (t >= busyUntilMs) busySinceMs = t;
        busyUntilMs = Infinity;
      }
    },
    leave(bodyBytes) {
      inFlight -= 1;
      flooded(now());
      windowBytes += bodyBytes;
      if (inFlight < options.busyAt && busyUntilMs === Infinity) {
        busyUntilMs = now() + options.holdMs;
        recheckAll();
      }
    },
    async quiet() {
      // A tick that just ended ran ahead of the poll phase: requests that arrived meanwhile are
      // still unread, and the count would say quiet. setImmediate runs after the poll phase.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const startedMs = now();
      if (readyAt(startedMs)) return;
      const deadlineMs = startedMs + options.maxWaitMs;
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const check = () => {
          clearTimeout(timer);
          onQuieter.delete(check);
          const t = now();
          if (t >= deadlineMs || readyAt(t)) return resolve();
          // Busy, or another tick running: leave() and the tick's end recheck. Otherwise a timer
          // at the end of the hold or of the paid time; the deadline bounds everything.
          if (busyUntilMs === Infinity || running > 0) onQuieter.add(check);
          const nextMs = Math.min(deadlineMs, running > 0 ? deadlineMs : paidUntilMs, busyUntilMs === Infinity ? deadlineMs : busyUntilMs);
          timer = setTimeout(check, Math.max(0, nextMs - t));
        };
        check();
      });
    },
    paced(tick) {
      return async () => {
        const startedMs = now();
        running += 1;
        try {
          return await tick();
        } finally {
          running -= 1;
          const endedMs = now();
          const owedMs = ((endedMs - startedMs) * (1 - options.share)) / options.share;
          // Capped: ticks run back to back while the webhook was quiet must not stall it later.
          paidUntilMs = Math.min(Math.max(paidUntilMs, endedMs) + owedMs, endedMs + options.maxWaitMs);
          recheckAll();
        }
      };
    },
  };
}
