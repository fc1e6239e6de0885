import { describe, expect, it } from "vitest";
import { parseConfig, parseDatabaseUrl } from "../../src/config.js";
import { isWahookError } from "../../src/errors.js";

const base = { APP_SECRET: "s1", VERIFY_TOKEN: "vt" };

const errorOf = (env: Record<string, string | undefined>) => {
  try {
    parseConfig(env);
  } catch (error) {
    return error;
  }
  throw new Error("expected parseConfig to throw");
};

describe("parseConfig", () => {
  it("names APP_SECRET and where to find it when it is missing or empty", () => {
    for (const env of [{ VERIFY_TOKEN: "vt" }, { VERIFY_TOKEN: "vt", APP_SECRET: "" }, { VERIFY_TOKEN: "vt", APP_SECRET: " , ," }]) {
      const error = errorOf(env);
      expect(isWahookError(error, "CONFIG_MISSING")).toBe(true);
      expect((error as Error).message).toMatch(/APP_SECRET is missing.*App Dashboard/);
      expect((error as Error).message).not.toMatch(/VERIFY_TOKEN/);
    }
  });

  it("names VERIFY_TOKEN when it is missing, and both when both are", () => {
    expect((errorOf({ APP_SECRET: "s" }) as Error).message).toMatch(/^VERIFY_TOKEN is missing/);
    const both = (errorOf({}) as Error).message;
    expect(both).toMatch(/APP_SECRET/);
    expect(both).toMatch(/VERIFY_TOKEN/);
  });

  it("accepts a comma-separated secret list, trimmed, empty entries ignored", () => {
    expect(parseConfig({ ...base, APP_SECRET: " old , ,new " }).appSecrets).toEqual(["old", "new"]);
  });

  it("applies the documented defaults", () => {
    const config = parseConfig(base);
    expect(config).toMatchObject({
      port: 8000,
      host: "0.0.0.0",
      graphApiBaseUrl: "https://graph.facebook.com",
      maxBodyBytes: 4 * 1024 * 1024,
      bot: "echo-upper",
      database: { kind: "sqlite", path: "data/wahook.db" },
      sendRatePerSecond: 80,
      retryMaxDelayMs: 30_000,
      sendConfirmWaitMs: 30_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(parseConfig({ ...base, SEND_CONFIRM_WAIT_MS: "0" }).sendConfirmWaitMs).toBe(0);
  });

  it("reads the tutorial's VERSION, but GRAPH_API_VERSION wins", () => {
    expect(parseConfig({ ...base, VERSION: "v18.0" }).graphApiVersion).toBe("v18.0");
    expect(parseConfig({ ...base, VERSION: "v18.0", GRAPH_API_VERSION: "v24.0" }).graphApiVersion).toBe("v24.0");
  });

  it("treats empty values as unset", () => {
    expect(parseConfig({ ...base, PORT: "", PHONE_NUMBER_ID: "" })).toMatchObject({ port: 8000, phoneNumberId: undefined });
  });

  it("rejects an unusable value with CONFIG_INVALID naming the variable", () => {
    const error = errorOf({ ...base, PORT: "eighty" });
    expect(isWahookError(error, "CONFIG_INVALID")).toBe(true);
    expect((error as Error).message).toMatch(/PORT/);
  });
});

describe("parseDatabaseUrl", () => {
  it.each([
    [undefined, { kind: "sqlite", path: "data/wahook.db" }],
    ["sqlite:/abs/path.db", { kind: "sqlite", path: "/abs/path.db" }],
    ["sqlite:rel/path.db", { kind: "sqlite", path: "rel/path.db" }],
    ["sqlite:///abs/path.db", { kind: "sqlite", path: "/abs/path.db" }],
    ["/var/lib/wahook.db", { kind: "sqlite", path: "/var/lib/wahook.db" }],
    ["postgres://u@h/db", { kind: "postgres", url: "postgres://u@h/db" }],
    ["postgresql://u@h/db", { kind: "postgres", url: "postgresql://u@h/db" }],
  ])("%s", (input, expected) => {
    expect(parseDatabaseUrl(input)).toEqual(expected);
  });

  it("refuses an unknown scheme", () => {
    expect(() => parseDatabaseUrl("mysql://h/db")).toThrow(/scheme/);
  });
});
