import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorCatalogue, WahookError, type ErrorCode } from "../../src/errors.js";

const docs = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
const documented = [...docs.matchAll(/^## ([a-z-]+)$/gm)].map((m) => m[1]);

describe("the error catalogue and docs/errors.md", () => {
  it("documents every code under its anchor, and nothing else", () => {
    const anchors = Object.keys(errorCatalogue).map((code) => new WahookError(code as ErrorCode, "x").docsUrl.split("#")[1]);
    expect([...documented].sort()).toEqual([...anchors].sort());
  });

  it("names each code in its section", () => {
    for (const code of Object.keys(errorCatalogue)) expect(docs).toContain(`\`${code}\``);
  });
});
