/**
 * The store port: everything the pipeline needs from a database, nothing more. SQLite (default)
 * and PostgreSQL implement it with one Kysely query layer; test/contract runs one suite on both.
 * Every method that changes state is one transaction. Times are epoch milliseconds passed in by
 * the caller (the injected clock), never read from the database server's clock.
 */
import type { InboundMessage, WebhookEvent } from "../events/types.js";

export interface RecordResult {
  messagesNew: number;
  messagesDuplicate: number;
  statusesNew: number;
  statusesDuplicate: number;
  errors: number;
}

/** What one expand() call did. */
export interface Expansion {
  /** journal rows taken, the failed ones included */
  deliveries: number;
  /** rows whose parse threw: marked with the error and kept in the journal, unexpanded */
  failed: number;
  /** the events parsed from the expanded rows (new and duplicate alike) */
  events: WebhookEvent[];
  /** summed over the expanded rows */
  result: RecordResult;
  /** new inbox items the expansion leased to InboxLease.workerId ([] without one, and on PostgreSQL) */
  claimed: ClaimedInboxItem[];
}

/**
 * Lets an expansion lease the inbox items it inserts, as claimInbox would (same per-contact
 * rules), so the bot can run them without a claim. SQLite only; PostgreSQL ignores it.
 */
export interface InboxLease {
  workerId: string;
  leaseMs: number;
  /** at most this many items; 0 leases none */
  limit: number;
}

export interface InboxItem {
  id: number;
  /** wamid of the inbound message */
  messageId: string;
  phoneNumberId: string;
  contactKey: string;
  message: InboundMessage;
  /** handler runs that already failed */
  attempts: number;
  receivedAtMs: number;
}

/** An item as claimInbox hands it out: with its contact's bot state, read by the claim itself. */
export interface ClaimedInboxItem extends InboxItem {
  contactState: ContactState;
}

/** What a handler run produced for one item: its replies, and the contact's new state if it changed. */
export interface InboxCompletion {
  item: InboxItem;
  replies: readonly OutboxDraft[];
  state?: ContactState;
}

/**
 * Lets a completion lease the replies it inserts to the same worker, as claimOutbox would, so
 * its sender can take them without a claim.
 */
export interface ReplyLease {
  leaseMs: number;
  /** at most this many of the new reply rows, in completion order; 0 leases none */
  limit: number;
}

export interface InboxBatchResult {
  /** one per completion, as completeInboxItems returns */
  completed: boolean[];
  /** the reply rows leased to the worker, already durable: send them, settle them as claimed rows */
  leased: OutboxItem[];
}

export type InboxState = "pending" | "done" | "failed";

export interface InboxRow extends InboxItem {
  state: InboxState;
  lastError: string | null;
}

/** What a reply or receipt becomes: one POST /{phoneNumberId}/messages with this JSON body. */
export interface OutboxDraft {
  phoneNumberId: string;
  /** the user it goes to (contact key); used for per-recipient back-off */
  recipient: string;
  kind: "message" | "receipt";
  body: Record<string, unknown>;
}

export interface OutboxItem {
  id: number;
  phoneNumberId: string;
  recipient: string;
  kind: "message" | "receipt";
  body: Record<string, unknown>;
  /** attempts already made */
  attempts: number;
  createdAtMs: number;
  /** inbound wamid whose handling produced this, if any */
  sourceMessageId: string | null;
  /**
   * Set by claimOutbox when this claim took over a lease that expired without being settled,
   * deferred or released: the holder most likely died during the send, which may have reached
   * Meta. It is the time that lease was taken (the earliest the send can have happened); null
   * when the previous lease ended normally or there was none. Decided in the claim's statement.
   */
  ambiguousSinceMs: number | null;
}

export type OutboxState = "pending" | "sent" | "failed" | "dead";

export interface OutboxRow extends OutboxItem {
  state: OutboxState;
  wamid: string | null;
  /** best delivery status seen so far: sent < failed < delivered < read < played */
  deliveryStatus: string | null;
  nextAttemptAtMs: number;
  lastErrorCode: number | null;
  lastErrorTitle: string | null;
}

export interface AttemptError {
  /** Graph error code, when Graph sent one */
  code: number | null;
  httpStatus: number | null;
  title: string;
}

export type SendOutcome =
  | { kind: "sent"; wamid: string | null }
  | { kind: "retry"; retryAtMs: number; error: AttemptError }
  /** permanent error: never sent again */
  | { kind: "failed"; error: AttemptError }
  /** retryable, but past the maximum age or attempts */
  | { kind: "dead"; error: AttemptError };

export interface AttemptLog {
  startedAtMs: number;
  durationMs: number;
}

/** One finished send attempt, to be settled. */
export interface OutboxSettlement {
  item: OutboxItem;
  outcome: SendOutcome;
  attempt: AttemptLog;
}

export interface AttemptRow {
  outboxId: number;
  attempt: number;
  outcome: SendOutcome["kind"];
  httpStatus: number | null;
  errorCode: number | null;
  errorTitle: string | null;
  startedAtMs: number;
  durationMs: number;
}

export interface StatusRow {
  wamid: string;
  status: string;
  timestampSec: number;
  errorCode: number | null;
  errorTitle: string | null;
}

export interface Claim {
  workerId: string;
  nowMs: number;
  leaseMs: number;
  limit: number;
}

export interface StoreDepth {
  /** verified deliveries in the journal, not yet expanded into events */
  journalPending: number;
  inboxPending: number;
  inboxFailed: number;
  outboxPending: number;
  outboxFailed: number;
}

export type ContactState = Record<string, unknown>;

export interface Store {
  readonly dialect: "sqlite" | "postgres";
  /** Applies numbered migrations; safe when several instances call it at once. */
  migrate(): Promise<void>;
  /** Throws when the database does not answer (used by /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;

  /**
   * The webhook's write before its 200: appends each verified POST body, exactly as received, to
   * the delivery journal, all in one transaction, and resolves once that is on disk (it survives
   * kill -9 and a power loss). Nothing is parsed or deduplicated here: expand() does that.
   */
  journal(bodies: readonly Uint8Array[], nowMs: number): Promise<void>;
  /**
   * Takes up to `limit` of the oldest journal rows, parses each with `parse`, records the events
   * exactly as record() does, and removes the rows, all in ONE transaction (a crash repeats it,
   * and the keys make the repeat a no-op). Several instances skip each other's rows. A row whose
   * parse throws is kept, marked with the error, and not taken again.
   */
  expand(parse: (body: Uint8Array) => readonly WebhookEvent[], limit: number, nowMs: number, lease?: InboxLease): Promise<Expansion>;

  /**
   * Records several deliveries' events in ONE transaction (group commit) and returns one result
   * per delivery. Messages are keyed by wamid, statuses by (wamid, status): a key seen before is
   * counted as a duplicate and changes nothing. New statuses are applied to the outbox row with
   * that wamid (monotonically), or kept until a send returns that wamid.
   * A new status whose bizOpaqueCallbackData is our tag `wahook:<outbox id>` (outbox/tag.ts) proves
   * Meta accepted that row's send: a row still pending without a wamid becomes sent with the
   * status's wamid and one attempt ("confirmed by status webhook", no HTTP status), whoever holds
   * its lease. A row that already has a wamid or was settled otherwise is left as it is.
   */
  record(deliveries: readonly (readonly WebhookEvent[])[], nowMs: number): Promise<RecordResult[]>;

  /**
   * Leases due inbox items: at most one per contact, only a contact's oldest unfinished item, and
   * none for a contact that has an item leased by anyone (per-contact order across instances).
   * Each comes with its contact's bot state (no other worker can change it during the lease).
   */
  claimInbox(claim: Claim): Promise<ClaimedInboxItem[]>;
  /**
   * Marks the item done, inserts its replies into the outbox and writes the contact state, in one
   * transaction — only while workerId still holds the lease (returns false otherwise and changes nothing).
   */
  completeInbox(item: InboxItem, workerId: string, result: { replies: readonly OutboxDraft[]; state?: ContactState }, nowMs: number): Promise<boolean>;
  /**
   * completeInbox for many items in ONE transaction (group commit): one result per completion,
   * in order. An item whose lease workerId lost gets false and changes nothing; the others still
   * complete. If the transaction fails, nothing of the batch is written (the items stay leased
   * and pending, and run again) and the promise rejects.
   */
  completeInboxItems(completions: readonly InboxCompletion[], workerId: string, nowMs: number): Promise<boolean[]>;
  /** completeInboxItems that also leases up to lease.limit of the new replies to workerId (ReplyLease). */
  completeInboxLeasing(completions: readonly InboxCompletion[], workerId: string, nowMs: number, lease: ReplyLease): Promise<InboxBatchResult>;
  /** Handler failed: try again at retryAtMs (the contact's later messages wait) or park it as failed. */
  failInbox(item: InboxItem, workerId: string, failure: { error: string; retryAtMs: number | null }, nowMs: number): Promise<boolean>;
  getContactState(phoneNumberId: string, contactKey: string): Promise<ContactState>;
  listInbox(filter: { state?: InboxState; limit: number }): Promise<InboxRow[]>;

  /**
   * Direct sends (not caused by an inbound message). Returns the new outbox ids. Here and in
   * completeInbox, a message body without biz_opaque_callback_data is stored tagged with
   * `wahook:<its id>`, so its status webhooks can confirm the send (see record).
   */
  enqueue(drafts: readonly OutboxDraft[], nowMs: number): Promise<number[]>;
  /**
   * Leases due outbox items (pending, next attempt due, lease free or expired), oldest first.
   * Each item says whether its previous lease expired unreleased (ambiguousSinceMs).
   */
  claimOutbox(claim: Claim): Promise<OutboxItem[]>;
  /** Records the attempt and its outcome; only while workerId holds the lease. */
  settleOutbox(item: OutboxItem, workerId: string, outcome: SendOutcome, attempt: AttemptLog, nowMs: number): Promise<boolean>;
  /**
   * settleOutbox for many attempts in ONE transaction: one result per settlement, in order; a
   * row whose lease workerId lost gets false and changes nothing, the others settle. If the
   * transaction fails nothing is written and the promise rejects.
   */
  settleOutboxItems(settlements: readonly OutboxSettlement[], workerId: string, nowMs: number): Promise<boolean[]>;
  /**
   * Shared token bucket per business number (rate per second, burst = one second's worth):
   * takes up to `wanted` tokens and returns how many were granted. Returns 0 while paused.
   */
  takeSendTokens(phoneNumberId: string, wanted: number, ratePerSecond: number, nowMs: number): Promise<number>;
  /** Meta said the number is over its throughput (130429): grant no tokens until untilMs. */
  pauseSends(phoneNumberId: string, untilMs: number): Promise<void>;
  /**
   * Gives the item back without counting an attempt, due again at untilMs (the send-rate limit
   * had no token for it). Only while workerId holds the lease.
   */
  deferOutbox(item: OutboxItem, workerId: string, untilMs: number): Promise<boolean>;
  /** deferOutbox for many items in one statement: one result per item, in order. */
  deferOutboxItems(items: readonly OutboxItem[], workerId: string, untilMs: number): Promise<boolean[]>;
  /** Gives back every lease this worker holds (graceful shutdown). */
  releaseLeases(workerId: string): Promise<void>;

  listOutbox(filter: { states?: readonly OutboxState[]; limit: number }): Promise<OutboxRow[]>;
  getOutbox(id: number): Promise<OutboxRow | undefined>;
  listAttempts(outboxId: number): Promise<AttemptRow[]>;
  listStatuses(wamid: string): Promise<StatusRow[]>;
  /** An operator's retry of a failed or dead message: pending again, due now. */
  retryOutbox(id: number, nowMs: number): Promise<boolean>;

  depth(): Promise<StoreDepth>;
  /** Deletes finished inbox keys and statuses older than olderThanMs, at most batchSize rows. */
  prune(olderThanMs: number, batchSize: number): Promise<number>;
}
