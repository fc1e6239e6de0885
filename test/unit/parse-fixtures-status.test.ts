import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseWebhook } from "../../src/events/parse.js";
import { home, loadFixture as load, onlyEvent, onlyStatus } from "../helpers/parsed-fixture.js";

const fixturesDir = new URL("../fixtures/", import.meta.url);

describe("parseWebhook on Meta's status and other-field fixtures", () => {
  it("status-sent: callback data, the ≤v23 conversation with its expiry, and PMP pricing", () => {
    const s = onlyStatus("status-sent.json");
    expect(s).toMatchObject({ status: "sent", timestampSec: 1781703620, recipientId: "4915112345678", bizOpaqueCallbackData: "ticket=T-88214", to: home });
    expect(s.conversation).toEqual({ id: "e5619cc2d21aa33b10acdac72e0afdcd", originType: "utility", expirationTimestampSec: 1781790020 });
    expect(s.pricing).toEqual({ billable: true, pricingModel: "PMP", type: "regular", category: "utility" });
  });

  it("status-delivered: the v24+ shape, pricing without conversation", () => {
    const s = onlyStatus("status-delivered.json");
    expect(s.status).toBe("delivered");
    expect(s.conversation).toBeUndefined();
    expect(s.pricing).toEqual({ billable: true, pricingModel: "PMP", type: "regular", category: "utility" });
  });

  it("status-read: neither conversation nor pricing, and no errors", () => {
    const s = onlyStatus("status-read.json");
    expect(s).toMatchObject({ status: "read", id: "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjFFMzVEQzAwOUQ0QzlBNkM0OQA=", timestampSec: 1781703690 });
    expect(s.conversation).toBeUndefined();
    expect(s.pricing).toBeUndefined();
    expect(s.errors).toEqual([]);
  });

  it("status-failed: the 131047 re-engagement error with its details", () => {
    const s = onlyStatus("status-failed.json");
    expect(s.status).toBe("failed");
    expect(s.errors).toEqual([
      {
        code: 131047,
        title: "Re-engagement message",
        message: "Re-engagement message",
        details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
      },
    ]);
  });

  it("field-messages-value-errors: one error event carrying 130429 for the change's number", () => {
    expect(onlyEvent("field-messages-value-errors.json")).toEqual({
      kind: "error",
      to: home,
      errors: [{ code: 130429, title: "Rate limit hit", message: "Rate limit hit", details: "Cloud API message throughput has been reached." }],
    });
  });

  it("field-template-status-update: no event, the change listed as skipped with its field name", () => {
    expect(parseWebhook(load("field-template-status-update.json"))).toEqual({
      events: [],
      skipped: [{ path: "entry[0].changes[0]", reason: "field message_template_status_update not handled" }],
    });
  });
});

describe("fixture coverage", () => {
  it("names every webhook fixture in one of the parse tests, so a new fixture cannot go untested", () => {
    const testsDir = new URL("./", import.meta.url);
    const testSources = readdirSync(testsDir)
      .filter((name) => name.startsWith("parse") && name.endsWith(".test.ts"))
      .map((name) => readFileSync(new URL(name, testsDir), "utf8"));
    const untested = readdirSync(fixturesDir)
      .filter((name) => name.endsWith(".json") && !name.startsWith("graph-") && name !== "signatures.json")
      .filter((name) => !testSources.some((source) => source.includes(`"${name}"`)));
    expect(untested).toEqual([]);
  });
});
