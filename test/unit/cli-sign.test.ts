import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureIo } from "../helpers/capture-io.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");
const expected = JSON.parse(readFileSync(join(FIXTURES, "signatures.json"), "utf8")) as Record<string, string>;
const SECRET = expected.app_secret!;
const files = Object.keys(expected).filter((name) => name.endsWith(".json"));

describe("wahook sign", () => {
  it.each(files)("prints Meta's signature header for the exact bytes of %s", async (file) => {
    // Relative to io.cwd, as a user would type it.
    const cli = captureIo({ cwd: FIXTURES });
    expect(await main(["sign", file], { APP_SECRET: SECRET }, cli.io)).toBe(0);
    expect(cli.stdout()).toBe(`X-Hub-Signature-256: ${expected[file]}\n`);
  });

  it.each([[["sign", "-"]], [["sign"]]])("signs stdin for %j", async (argv) => {
    const body = readFileSync(join(FIXTURES, "inbound-unicode-emoji.json"));
    const cli = captureIo({ stdin: body });
    expect(await main(argv, { APP_SECRET: SECRET }, cli.io)).toBe(0);
    expect(cli.stdout()).toBe(`X-Hub-Signature-256: ${expected["inbound-unicode-emoji.json"]}\n`);
  });

  it("signs with the first secret of a comma-separated APP_SECRET (the new one during a rotation)", async () => {
    const cli = captureIo({ cwd: FIXTURES });
    expect(await main(["sign", "inbound-text.json"], { APP_SECRET: ` ${SECRET} , old-secret` }, cli.io)).toBe(0);
    expect(cli.stdout()).toBe(`X-Hub-Signature-256: ${expected["inbound-text.json"]}\n`);
  });

  it("exits 1 naming APP_SECRET when it is missing, without reading stdin", async () => {
    const cli = captureIo({ stdin: "{}" });
    expect(await main(["sign"], { APP_SECRET: " " }, cli.io)).toBe(1);
    expect(cli.stderr()).toContain("APP_SECRET is missing");
    expect(cli.stdout()).toBe("");
    expect(cli.stdinReads()).toBe(0);
  });

  it("never prints the secret", async () => {
    const cli = captureIo({ cwd: FIXTURES });
    await main(["sign", "inbound-text.json"], { APP_SECRET: SECRET }, cli.io);
    await main(["sign", "no-such-file.json"], { APP_SECRET: SECRET }, cli.io);
    expect(cli.stdout() + cli.stderr()).not.toContain(SECRET);
  });

  it("exits 2 naming a file that does not exist", async () => {
    const cli = captureIo({ cwd: FIXTURES });
    expect(await main(["sign", "no-such-file.json"], { APP_SECRET: SECRET }, cli.io)).toBe(2);
    expect(cli.stderr()).toContain(join(FIXTURES, "no-such-file.json"));
  });

  it("exits 2 when given two files", async () => {
    const cli = captureIo({ cwd: FIXTURES });
    expect(await main(["sign", "a.json", "b.json"], { APP_SECRET: SECRET }, cli.io)).toBe(2);
    expect(cli.stderr()).toContain("one FILE");
  });
});
