import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Vitest global setup: the whole run's temporary files (SQLite files, delivery logs with their
 * pre-written 64 MiB segments, child servers' data) go under one directory, removed at the end.
 * Tests create them with mkdtemp(tmpdir()) and many keep them for a post-mortem while the run
 * lasts; left behind, one full run took ~4 GB of /tmp. The forks inherit TMPDIR.
 * WAHOOK_TEST_KEEP_TMP=1 keeps the directory for a look after the run.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "wahook-test-run-"));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    if (process.env.WAHOOK_TEST_KEEP_TMP !== "1") rmSync(root, { recursive: true, force: true });
  };
}
