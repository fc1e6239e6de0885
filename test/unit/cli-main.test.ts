import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commands } from "../../src/cli/commands.js";
import { loadEnv } from "../../src/cli/env.js";
import { main } from "../../src/cli/main.js";
import { captureIo } from "../helpers/capture-io.js";

describe("wahook main", () => {
  it("lists every command with its summary for --help, on stdout, exit 0", async () => {
    const cli = captureIo();
    expect(await main(["--help"], {}, cli.io)).toBe(0);
    for (const [name, command] of Object.entries(commands)) {
      const line = cli.stdout().split("\n").find((l) => l.startsWith(`  ${name} `));
      expect(line?.endsWith(command.summary)).toBe(true);
    }
    expect(cli.stdout()).toContain("Usage: wahook <command>");
  });

  it.each(Object.keys(commands))("prints the usage of '%s' for --help and runs nothing, exit 0", async (name) => {
    // No environment at all: a command that ran would fail on its missing settings.
    const cli = captureIo({ fetch: () => Promise.reject(new Error("must not fetch")) });
    expect(await main([name, "--help"], {}, cli.io)).toBe(0);
    expect(cli.stdout()).toBe(`${commands[name]!.usage.trimEnd()}\n`);
    expect(cli.stderr()).toBe("");
    expect(cli.stdinReads()).toBe(0);
  });

  it("treats 'help COMMAND' like 'COMMAND --help'", async () => {
    const cli = captureIo();
    expect(await main(["help", "sign"], {}, cli.io)).toBe(0);
    expect(cli.stdout()).toContain("Usage: wahook sign");
  });

  it("exits 2 with the command list on stderr when no command is given", async () => {
    const cli = captureIo();
    expect(await main([], {}, cli.io)).toBe(2);
    expect(cli.stderr()).toContain("no command given");
    expect(cli.stderr()).toContain("verify-url");
  });

  it("exits 2 naming an unknown command, with a hint to --help", async () => {
    const cli = captureIo();
    expect(await main(["sing"], {}, cli.io)).toBe(2);
    expect(cli.stderr()).toContain("unknown command 'sing'");
    expect(cli.stderr()).toContain("wahook --help");
    expect(cli.stdout()).toBe("");
  });

  it("does not take inherited object keys for commands", async () => {
    const cli = captureIo();
    expect(await main(["toString"], {}, cli.io)).toBe(2);
    expect(cli.stderr()).toContain("unknown command 'toString'");
  });

  it("exits 2 on an unknown flag, pointing at the command's --help", async () => {
    const cli = captureIo();
    expect(await main(["verify-url", "https://example.com", "--timeout", "5"], { VERIFY_TOKEN: "t" }, cli.io)).toBe(2);
    expect(cli.stderr()).toContain("--timeout");
    expect(cli.stderr()).toContain("wahook verify-url --help");
  });

  it("exits 1 with the message, code and docs anchor of a WahookError", async () => {
    const cli = captureIo();
    expect(await main(["verify-url", "https://example.com/webhook"], {}, cli.io)).toBe(1);
    expect(cli.stderr()).toContain("VERIFY_TOKEN is missing");
    expect(cli.stderr()).toContain("docs/errors.md#config-missing");
  });
});

describe("loadEnv", () => {
  const dirWithDotEnv = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), "wahook-env-"));
    writeFileSync(join(dir, ".env"), text);
    return dir;
  };

  it("reads .env from the given directory", () => {
    const dir = dirWithDotEnv('APP_SECRET=from-file\nVERIFY_TOKEN="quoted value"\n# comment\n');
    expect(loadEnv(dir, {})).toEqual({ APP_SECRET: "from-file", VERIFY_TOKEN: "quoted value" });
  });

  it("lets the process environment override .env", () => {
    const dir = dirWithDotEnv("APP_SECRET=from-file\nPORT=1\n");
    expect(loadEnv(dir, { APP_SECRET: "from-process" })).toEqual({ APP_SECRET: "from-process", PORT: "1" });
  });

  it("treats empty values as unset on both sides, so an empty process value does not hide the file's", () => {
    const dir = dirWithDotEnv("APP_SECRET=from-file\nVERIFY_TOKEN=\nLOG_LEVEL=  \n");
    expect(loadEnv(dir, { APP_SECRET: "", BOT: "", PORT: undefined, HOST: "127.0.0.1" })).toEqual({ APP_SECRET: "from-file", HOST: "127.0.0.1" });
  });

  it("works without a .env file", () => {
    const dir = mkdtempSync(join(tmpdir(), "wahook-env-"));
    expect(loadEnv(dir, { PORT: "8000" })).toEqual({ PORT: "8000" });
  });
});
