import fc from "fast-check";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { LogFs } from "../../src/store/log/log-fs.js";
import { checkRecord, encodeRecords, RECORD_HEADER_BYTES } from "../../src/store/log/record-codec.js";
import { scanSegment } from "../../src/store/log/segment-scan.js";
import { memoryFile } from "../helpers/memory-log-fs.js";

const SEGMENT = 7;

/** Every body the scanner accepts in a segment image, from offset 0 with the chain checked. */
async function scanAll(image: Buffer, options: { chunkBytes?: number; segment?: number } = {}) {
  const bodies: Buffer[] = [];
  const result = await scanSegment(memoryFile(image) as LogFs, 1, {
    segment: options.segment ?? SEGMENT,
    segmentBytes: image.length,
    fromOffset: 0,
    untilOffset: image.length,
    prevCrc: 0,
    chunkBytes: options.chunkBytes ?? 64,
    onRecord: (_offset, body) => {
      bodies.push(Buffer.from(body));
      return true;
    },
  });
  return { bodies, result };
}

/** A segment image: the records, then zeros up to sizeBytes (a pre-written segment). */
const imageOf = (bodies: readonly Buffer[], spareBytes = 40) => {
  const { bytes } = encodeRecords(SEGMENT, 0, bodies);
  return Buffer.concat([bytes, Buffer.alloc(spareBytes)]);
};

const bodiesArb = fc.array(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), { minLength: 1, maxLength: 12 });

describe("delivery log record format", () => {
  it("is CRC-32 (IEEE), the polynomial zlib and the check value 0xcbf43926 name", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
  });

  it("encodes known-answer records: segment, length, previous crc, crc, body, little endian", () => {
    const { bytes, lastCrc } = encodeRecords(SEGMENT, 0, [Buffer.from("hi"), Buffer.alloc(0)]);
    expect(bytes.toString("hex")).toBe("070000000200000000000000693bc929" + "6869" + "0700000000000000693bc9297369d739");
    expect(lastCrc).toBe(0x39d76973);
  });

  it("rejects zeroed space, another segment's record, a length past the segment end and a broken chain", () => {
    const { bytes } = encodeRecords(SEGMENT, 0, [Buffer.from("hello")]);
    const at = { segment: SEGMENT, prevCrc: 0, bufOffset: 0, segmentBytes: 1000 };
    expect(checkRecord(bytes, 0, at)).toMatchObject({ ok: true, bodyBytes: 5 });
    expect(checkRecord(Buffer.alloc(64), 0, at)).toMatchObject({ ok: false, reason: "segment" });
    expect(checkRecord(bytes, 0, { ...at, segment: SEGMENT + 1 })).toMatchObject({ ok: false, reason: "segment" });
    expect(checkRecord(bytes, 0, { ...at, segmentBytes: RECORD_HEADER_BYTES + 4 })).toMatchObject({ ok: false, reason: "length" });
    expect(checkRecord(bytes, 0, { ...at, prevCrc: 1 })).toMatchObject({ ok: false, reason: "chain" });
    expect(checkRecord(bytes.subarray(0, 18), 0, at)).toMatchObject({ ok: false, reason: "short", needBytes: 21 });
  });

  it("scans back exactly what was encoded, whatever the read chunk size", async () => {
    await fc.assert(
      fc.asyncProperty(bodiesArb, fc.integer({ min: 1, max: 700 }), async (bodies, chunkBytes) => {
        const { bodies: scanned, result } = await scanAll(imageOf(bodies), { chunkBytes });
        expect(scanned).toEqual(bodies);
        expect(result.stop).toBe("invalid");
      }),
    );
  });

  it("never yields a wrong record after a truncation, and keeps every record before it", async () => {
    await fc.assert(
      fc.asyncProperty(bodiesArb, fc.nat(), async (bodies, cutSeed) => {
        const { bytes } = encodeRecords(SEGMENT, 0, bodies);
        const cut = cutSeed % (bytes.length + 1);
        // The torn write: what was never written reads as the pre-written zeros.
        const image = Buffer.concat([bytes.subarray(0, cut), Buffer.alloc(bytes.length - cut + 40)]);
        const { bodies: scanned } = await scanAll(image);
        // A record is whole if every byte of it reads as written: before the cut, or a zero that
        // the pre-written zeros supply anyway (a body ending in zeros, cut inside those zeros).
        let whole = 0;
        for (let end = 0, i = 0; i < bodies.length && whole === i; i += 1) {
          end += RECORD_HEADER_BYTES + (bodies[i] as Buffer).length;
          if (end <= cut || bytes.subarray(cut, end).every((byte) => byte === 0)) whole = i + 1;
        }
        expect(scanned).toEqual(bodies.slice(0, whole));
      }),
    );
  });

  it("never yields a wrong record after a single-byte change in record k, and keeps records 0..k-1", async () => {
    await fc.assert(
      fc.asyncProperty(bodiesArb, fc.nat(), fc.integer({ min: 1, max: 255 }), async (bodies, where, flip) => {
        const image = imageOf(bodies);
        const recordsBytes = image.length - 40;
        const at = where % recordsBytes;
        image[at] = (image[at] as number) ^ flip;
        let k = 0;
        for (let end = 0; k < bodies.length; k += 1) {
          end += RECORD_HEADER_BYTES + (bodies[k] as Buffer).length;
          if (at < end) break;
        }
        const { bodies: scanned } = await scanAll(image);
        expect(scanned).toEqual(bodies.slice(0, k));
      }),
    );
  });

  it("does not read a segment file's stale records under its new number", async () => {
    const { bodies } = await scanAll(imageOf([Buffer.from("old life")]), { segment: SEGMENT + 3 });
    expect(bodies).toEqual([]);
  });
});
