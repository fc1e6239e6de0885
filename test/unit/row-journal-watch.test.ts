import { describe, expect, it } from "vitest";
import { createRowJournalWatch } from "../../src/store/kysely/row-journal-watch.js";

describe("row journal watch: when an expansion may skip wahook_deliveries", () => {
  const setup = () => {
    let version = 7;
    const watch = createRowJournalWatch(() => version);
    return { watch, bump: () => (version += 1) };
  };

  it("is not drained before any read found the journal empty", () => {
    expect(setup().watch.drained()).toBe(false);
  });

  it("is drained after a read found nothing left, until another connection commits", () => {
    const { watch, bump } = setup();
    watch.reading().found(false);
    expect(watch.drained()).toBe(true);
    bump();
    expect(watch.drained()).toBe(false);
  });

  it("is not drained after a read that may have left rows (it took a full batch)", () => {
    const { watch } = setup();
    watch.reading().found(true);
    expect(watch.drained()).toBe(false);
  });

  it("counts this process's own row writes, which do not change data_version", () => {
    const { watch } = setup();
    watch.reading().found(false);
    watch.wrote();
    expect(watch.drained()).toBe(false);
    watch.reading().found(false);
    expect(watch.drained()).toBe(true);
  });

  it("a write or a foreign commit during the read leaves it not drained: the read may have missed it", () => {
    const own = setup();
    const read = own.watch.reading();
    own.watch.wrote();
    read.found(false);
    expect(own.watch.drained()).toBe(false);

    const foreign = setup();
    const other = foreign.watch.reading();
    foreign.bump();
    other.found(false);
    expect(foreign.watch.drained()).toBe(false);
  });

  it("a read that never reported (its transaction failed) changes nothing", () => {
    const { watch } = setup();
    watch.reading();
    expect(watch.drained()).toBe(false);
  });
});
