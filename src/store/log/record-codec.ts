import { crc32 } from "node:zlib";

/**
 * One record: a 16-byte little-endian header, then the body.
 *   u32 segment   sequence number of the segment the record was written into
 *   u32 length    body bytes
 *   u32 prevCrc   the crc field of the previous record in the segment (0 for the first)
 *   u32 crc       CRC-32 over the first 12 header bytes and the body
 * A scan stops at the first record that fails any check. Why each field:
 * - segment: recycled segment files are not zeroed, so they still hold whole, CRC-valid records
 *   of the file's previous life; those carry an older sequence number and are rejected. Zeroed
 *   space has segment 0, which is never used.
 * - prevCrc: resuming after a torn tail overwrites it with new records. A record of the crashed
 *   run that lay beyond the torn one (possible after a power loss, when writeback order is
 *   arbitrary) would be read again if a new record happened to end exactly where it starts; the
 *   chain makes it fail, as its prevCrc names a predecessor that no longer exists.
 * - crc: a torn or garbled record. The odds that garbage passes all checks are about 2^-32.
 */
export const RECORD_HEADER_BYTES = 16;
/** u32 length field; the integrator caps bodies far lower (MAX_BODY_BYTES). */
export const MAX_RECORD_BODY_BYTES = 0xffff_ffff;

export const recordBytes = (bodyBytes: number): number => RECORD_HEADER_BYTES + bodyBytes;

const headerCrc = (header: Buffer, body: Buffer): number => crc32(body, crc32(header.subarray(0, 12)));

/** Encodes bodies as consecutive records into one buffer (one write); returns it and the last record's crc. */
export function encodeRecords(segment: number, prevCrc: number, bodies: readonly Buffer[]): { bytes: Buffer; lastCrc: number } {
  let total = 0;
  for (const body of bodies) total += recordBytes(body.length);
  const bytes = Buffer.allocUnsafe(total);
  let offset = 0;
  let previous = prevCrc;
  for (const body of bodies) {
    const header = bytes.subarray(offset, offset + RECORD_HEADER_BYTES);
    header.writeUInt32LE(segment, 0);
    header.writeUInt32LE(body.length, 4);
    header.writeUInt32LE(previous, 8);
    previous = headerCrc(header, body);
    header.writeUInt32LE(previous, 12);
    body.copy(bytes, offset + RECORD_HEADER_BYTES);
    offset += recordBytes(body.length);
  }
  return { bytes, lastCrc: previous };
}

export type RecordCheck =
  | { ok: true; bodyBytes: number; crc: number }
  | { ok: false; reason: "segment" | "length" | "chain" | "crc" }
  | { ok: false; reason: "short"; needBytes: number };

/**
 * Checks the record whose header starts at buf[at], where buf holds the segment bytes from
 * `bufOffset` and the segment is `segmentBytes` long. `prevCrc` undefined skips the chain check
 * (a reader positioned mid-segment does not know the predecessor). "short" means buf ends before
 * the record does although the segment would hold it: the caller reads needBytes from `at` and asks again.
 */
export function checkRecord(buf: Buffer, at: number, expect: { segment: number; prevCrc: number | undefined; bufOffset: number; segmentBytes: number }): RecordCheck {
  const segmentLeft = expect.segmentBytes - (expect.bufOffset + at);
  if (segmentLeft < RECORD_HEADER_BYTES) return { ok: false, reason: "length" };
  if (buf.length - at < RECORD_HEADER_BYTES) return { ok: false, reason: "short", needBytes: RECORD_HEADER_BYTES };
  const header = buf.subarray(at, at + RECORD_HEADER_BYTES);
  if (header.readUInt32LE(0) !== expect.segment) return { ok: false, reason: "segment" };
  const bodyBytes = header.readUInt32LE(4);
  if (bodyBytes > segmentLeft - RECORD_HEADER_BYTES) return { ok: false, reason: "length" };
  if (expect.prevCrc !== undefined && header.readUInt32LE(8) !== expect.prevCrc) return { ok: false, reason: "chain" };
  if (buf.length - at - RECORD_HEADER_BYTES < bodyBytes) return { ok: false, reason: "short", needBytes: recordBytes(bodyBytes) };
  const body = buf.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + bodyBytes);
  const crc = headerCrc(header, body);
  if (crc !== header.readUInt32LE(12)) return { ok: false, reason: "crc" };
  return { ok: true, bodyBytes, crc };
}
