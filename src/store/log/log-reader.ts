import { WahookError } from "../../errors.js";
import type { LogFs } from "./log-fs.js";
import { recordBytes } from "./record-codec.js";
import { withReader, type SegmentHandle } from "./segment-handle.js";
import { scanSegment } from "./segment-scan.js";
import { comparePositions, formatPosition, type LogPosition, type LogRecord } from "./types.js";

export interface ReaderView {
  io: LogFs;
  /** the live chain, oldest first */
  chain(): readonly SegmentHandle[];
  /** the end of the last resolved append: nothing at or after it is read */
  readableEnd(): LogPosition;
}

const positionError = (from: LogPosition, why: string) => new WahookError("DELIVERY_LOG_POSITION_INVALID", `cannot read the delivery log at ${formatPosition(from)}: ${why}`);

/**
 * Reads whole records between `from` and the readable end. Only the durable range is ever read,
 * so there is no validity scan here: a record that fails its checks inside it is corruption, or
 * `from` is not a record boundary (the first record fails).
 */
export async function readRecords(view: ReaderView, from: LogPosition, limits: { maxRecords: number; maxBytes: number }): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  let bodyBytes = 0;
  let at = from;
  if (comparePositions(from, view.readableEnd()) > 0) throw positionError(from, `beyond the end ${formatPosition(view.readableEnd())}`);
  while (records.length < limits.maxRecords && bodyBytes < limits.maxBytes) {
    const end = view.readableEnd();
    if (comparePositions(at, end) >= 0) break;
    const chain = view.chain();
    const index = chain.findIndex((h) => h.segment === at.segment);
    const handle = chain[index];
    if (handle === undefined || handle.released) throw positionError(at, "segment released or unknown");
    const untilOffset = handle.segment === end.segment ? end.offset : (handle.sealedBytes ?? 0);
    if (at.offset >= untilOffset) {
      const next = chain[index + 1];
      if (next === undefined) break;
      at = { segment: next.segment, offset: 0 };
      continue;
    }
    const segment = handle.segment;
    const result = await withReader(handle, (fd) =>
      scanSegment(view.io, fd, {
        segment,
        segmentBytes: handle.sizeBytes,
        fromOffset: at.offset,
        untilOffset,
        prevCrc: undefined,
        chunkBytes: Math.min(1 << 20, Math.max(limits.maxBytes - bodyBytes, 4096)),
        onRecord: (offset, body) => {
          records.push({ body, next: { segment, offset: offset + recordBytes(body.length) } });
          bodyBytes += body.length;
          return records.length < limits.maxRecords && bodyBytes < limits.maxBytes;
        },
      }),
    );
    if (result.stop === "invalid") {
      if (records.length === 0) throw positionError(at, `no valid record there (${result.reason ?? "?"}): not a record boundary, or the segment is damaged`);
      throw new WahookError("DELIVERY_LOG_CORRUPT", `the delivery log's segment ${segment} fails its checks at offset ${result.endOffset} (${result.reason ?? "?"}) inside data already acknowledged as durable: the disk or the file was damaged`);
    }
    at = { segment, offset: result.endOffset };
  }
  return records;
}
