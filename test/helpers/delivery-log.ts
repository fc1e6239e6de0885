import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDeliveryLog, type DeliveryLogOptions, type OpenDeliveryLog } from "../../src/store/log/delivery-log.js";
import type { LogPosition, LogRecord } from "../../src/store/log/types.js";

export const tempLogDir = (): string => join(mkdtempSync(join(tmpdir(), "wahook-log-")), "log");

/** Every readable record from `from` to the end, read in small pages so that paging is exercised too. */
export async function readAll(log: OpenDeliveryLog, from: LogPosition, page = { maxRecords: 7, maxBytes: 1500 }): Promise<LogRecord[]> {
  const all: LogRecord[] = [];
  let at = from;
  for (;;) {
    const records = await log.read(at, page);
    if (records.length === 0) return all;
    all.push(...records);
    at = (records[records.length - 1] as LogRecord).next;
  }
}

export const segmentFiles = (dir: string): number[] =>
  readdirSync(dir)
    .filter((name) => /^\d{20}\.log$/.test(name))
    .map((name) => Number(name.slice(0, 20)))
    .sort((a, b) => a - b);

export const numbered = (from: number, count: number, bytes = 100): Buffer[] =>
  Array.from({ length: count }, (_, i) => Buffer.from(`#${from + i}:`.padEnd(bytes, "x")));

export const texts = (records: readonly LogRecord[]): string[] => records.map((r) => r.body.toString().split(":")[0] as string);

export const openSmall = (dir: string, start: LogPosition | undefined, extra: Partial<DeliveryLogOptions> = {}) =>
  openDeliveryLog({ dir, start, segmentBytes: 4096, ...extra });
