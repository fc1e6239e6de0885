/** Where a record starts (or the log ends): a segment's sequence number and a byte offset in it. */
export interface LogPosition {
  /** the segment's sequence number; numbers only grow and never repeat within a log directory */
  segment: number;
  offset: number;
}

export interface LogRecord {
  body: Buffer;
  /** the position just after this record: the consumer's cursor once it has durably consumed it */
  next: LogPosition;
}

export interface DeliveryLog {
  /**
   * Appends every body as one record each, in order. Resolves once all of them are on disk: after
   * an fdatasync that began after their write completed. Appends arriving while a write or an
   * fdatasync runs share the next write and fdatasync (group commit).
   */
  append(bodies: readonly Buffer[]): Promise<void>;
  /**
   * Up to maxRecords records from `from`, in order, stopping once maxBytes of bodies are collected
   * (at least one record is returned when any is readable, however large). Only records whose
   * append has resolved; crosses into the next segment when one is full.
   */
  read(from: LogPosition, limits: { maxRecords: number; maxBytes: number }): Promise<LogRecord[]>;
  /** The caller has durably consumed everything before `upTo`: segments entirely before it are recycled or deleted. */
  release(upTo: LogPosition): Promise<void>;
  /** The position after the last resolved append, and how many body+header bytes lie between the release point and it. */
  end(): { position: LogPosition; unreleasedBytes: number };
  /** Waits for the appends in flight, closes every file and removes the lock. Further calls reject with DELIVERY_LOG_CLOSED. */
  close(): Promise<void>;
}

export const comparePositions = (a: LogPosition, b: LogPosition): number => a.segment - b.segment || a.offset - b.offset;

export const formatPosition = (p: LogPosition): string => `${p.segment}:${p.offset}`;
