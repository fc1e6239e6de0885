import { describe, expect, it } from "vitest";
import { createGroupCommitter } from "../../src/inbox/group-commit.js";

describe("group commit", () => {
  it("writes requests that arrive together in one transaction, each getting its own result", async () => {
    const batches: number[][] = [];
    const committer = createGroupCommitter<number, string>(async (items) => {
      batches.push([...items]);
      return items.map((n) => `r${n}`);
    });
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => committer.submit(n)));
    expect(results).toEqual(["r1", "r2", "r3", "r4", "r5"]);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
  });

  it("collects what arrives during a running write into the next one, and makes a lone request wait for nobody", async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const committer = createGroupCommitter<number, number>(async (items) => {
      batches.push([...items]);
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items;
    });
    const first = committer.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3, 4].map((n) => committer.submit(n));
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it("rejects every request of a failed write, and the next write goes ahead", async () => {
    let fail = true;
    const committer = createGroupCommitter<number, number>(async (items) => {
      if (fail) throw new Error("disk full");
      return items;
    });
    const failed = await Promise.allSettled([committer.submit(1), committer.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await committer.submit(3)).toBe(3);
  });

  it("splits a crowd into batches of at most maxBatch", async () => {
    const sizes: number[] = [];
    const committer = createGroupCommitter<number, number>(async (items) => {
      sizes.push(items.length);
      return items;
    }, { maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => committer.submit(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });
});
