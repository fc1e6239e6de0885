import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseWebhook } from "../../src/events/parse.js";
import type { ParseResult } from "../../src/events/types.js";

/**
 * parseWebhook runs before the 200: a throw is a 500 and Meta retries the same body for days.
 * So: no input may make it throw, and what it returns always has the promised shape.
 */

const fixturesDir = new URL("../fixtures/", import.meta.url);
const fixtures = readdirSync(fixturesDir)
  .filter((name) => name.endsWith(".json") && !name.startsWith("graph-") && name !== "signatures.json")
  .map((name) => readFileSync(new URL(name, fixturesDir), "utf8"));

const nonEmptyString = (value: unknown) => typeof value === "string" && value.length > 0;

/** Checks the promised shape of a result; returns nothing so it can run inside fc.property. */
const expectWellFormed = (result: ParseResult): void => {
  expect(Array.isArray(result.events)).toBe(true);
  expect(Array.isArray(result.skipped)).toBe(true);
  for (const s of result.skipped) {
    expect(typeof s.path).toBe("string");
    expect(nonEmptyString(s.reason)).toBe(true);
  }
  for (const e of result.events) {
    expect(nonEmptyString(e.to.wabaId) && nonEmptyString(e.to.phoneNumberId)).toBe(true);
    expect(typeof e.to.displayPhoneNumber).toBe("string");
    expect(e.errors.every((x) => typeof x.code === "number")).toBe(true);
    if (e.kind === "message") {
      expect(nonEmptyString(e.id) && nonEmptyString(e.from.key) && nonEmptyString(e.type)).toBe(true);
      expect(Number.isSafeInteger(e.timestampSec)).toBe(true);
    } else if (e.kind === "status") {
      expect(nonEmptyString(e.id) && nonEmptyString(e.status)).toBe(true);
      expect(Number.isSafeInteger(e.timestampSec)).toBe(true);
    } else {
      expect(e.kind).toBe("error");
      expect(e.errors.length).toBeGreaterThan(0);
    }
  }
};

/** Keys of Meta's wire format, so random objects reach deep into the parser, plus hostile ones. */
const wireKey = fc.constantFrom(
  ...["object", "entry", "id", "changes", "field", "value", "metadata", "phone_number_id", "display_phone_number"],
  ...["contacts", "messages", "statuses", "errors", "wa_id", "user_id", "profile", "name", "from", "from_user_id"],
  ...["timestamp", "type", "text", "body", "context", "referral", "interactive", "nfm_reply", "response_json", "status"],
  ...["code", "error_data", "pricing", "conversation", "__proto__", "constructor", "toString"],
);

const garbage = fc.anything({
  key: fc.oneof(wireKey, fc.string()),
  maxDepth: 6,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});

const messageType = fc.constantFrom(
  ...["text", "image", "audio", "video", "document", "sticker", "location", "contacts", "interactive", "button"],
  ...["reaction", "order", "system", "request_welcome", "unsupported", "unknown", "poll", "__proto__"],
);

/** A plausible envelope whose items are random: exercises the item parsers, not just the guards. */
const envelopeWithRandomItems = fc
  .record({
    messages: fc.array(fc.record({ id: fc.oneof(fc.string(), garbage), timestamp: fc.oneof(fc.constant("1781700000"), garbage), type: messageType, from: fc.oneof(fc.string(), garbage), payload: garbage })),
    statuses: fc.array(fc.dictionary(wireKey, garbage)),
    contacts: fc.oneof(fc.array(fc.dictionary(wireKey, garbage)), garbage),
    errors: garbage,
  })
  .map(({ messages, ...rest }) => ({
    object: "whatsapp_business_account",
    entry: [
      {
        id: "waba",
        changes: [
          {
            field: "messages",
            value: { metadata: { phone_number_id: "p" }, messages: messages.map(({ payload, ...m }) => ({ ...m, [m.type]: payload })), ...rest },
          },
        ],
      },
    ],
  }));

type Tree = Record<string, unknown> | unknown[];
/** Only the JSON containers: a boxed String or a Map put in by an earlier mutation is a leaf. */
const isTree = (v: unknown): v is Tree => Array.isArray(v) || (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype);

/** Every (container, key) slot of a tree, so a mutation can pick any of them. */
const slots = (root: Tree): [Tree, string | number][] => {
  const out: [Tree, string | number][] = [];
  const walk = (node: Tree) => {
    for (const key of Object.keys(node)) {
      const slotKey = Array.isArray(node) ? Number(key) : key;
      out.push([node, slotKey]);
      const child = (node as Record<string, unknown>)[key];
      if (isTree(child)) walk(child);
    }
  };
  walk(root);
  return out;
};

const mutation = fc.record({ pick: fc.nat(), remove: fc.boolean(), replacement: fc.oneof(fc.jsonValue(), garbage) });

const mutate = (text: string, mutations: { pick: number; remove: boolean; replacement: unknown }[]): unknown => {
  const root = JSON.parse(text) as Tree;
  for (const { pick, remove, replacement } of mutations) {
    const all = slots(root);
    const slot = all[pick % Math.max(all.length, 1)];
    if (!slot) break;
    const [node, key] = slot;
    if (remove && Array.isArray(node)) node.splice(key as number, 1);
    else if (remove) delete (node as Record<string, unknown>)[key];
    else (node as Record<string | number, unknown>)[key] = replacement;
  }
  return root;
};

describe("parseWebhook never throws", () => {
  it("on any JSON value, and leaves the value unchanged", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (json) => {
        const before = JSON.stringify(json);
        expectWellFormed(parseWebhook(json));
        expect(JSON.stringify(json)).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it("on arbitrary JavaScript values: null prototypes, boxed values, bigints, maps, sparse arrays", () => {
    fc.assert(fc.property(garbage, (value) => expectWellFormed(parseWebhook(value))), { numRuns: 300 });
    fc.assert(fc.property(garbage, (value) => expectWellFormed(parseWebhook({ object: "whatsapp_business_account", entry: value }))), { numRuns: 300 });
  });

  it("on plausible envelopes whose messages, statuses, contacts and errors are random", () => {
    fc.assert(fc.property(envelopeWithRandomItems, (body) => expectWellFormed(parseWebhook(body))), { numRuns: 300 });
  });

  it("on real fixtures with random subtrees deleted or replaced", () => {
    // The fixture by index, so a counterexample stays readable.
    const mutated = fc.tuple(fc.nat({ max: fixtures.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 5 }));
    fc.assert(fc.property(mutated, ([index, mutations]) => expectWellFormed(parseWebhook(mutate(fixtures[index] as string, mutations)))), { numRuns: 500 });
  });

  it("on very deep nesting at every level of the envelope", () => {
    let deepArray: unknown = [];
    let deepObject: unknown = {};
    for (let i = 0; i < 100_000; i++) {
      deepArray = [deepArray];
      deepObject = { value: deepObject, messages: deepObject };
    }
    const deepJsonText = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
    const bodies = [
      deepArray,
      { object: "whatsapp_business_account", entry: deepArray },
      { object: "whatsapp_business_account", entry: [{ id: "w", changes: [{ field: "messages", value: deepObject }] }] },
      { object: "whatsapp_business_account", entry: [{ id: "w", changes: [{ field: "messages", value: { metadata: { phone_number_id: "p" }, messages: [deepObject], contacts: deepArray } }] }] },
      {
        object: "whatsapp_business_account",
        entry: [{ id: "w", changes: [{ field: "messages", value: { metadata: { phone_number_id: "p" }, messages: [{ from: "1", id: "x", timestamp: "1", type: "interactive", interactive: { type: "nfm_reply", nfm_reply: { name: "flow", response_json: deepJsonText } } }] } }] }],
      },
    ];
    for (const body of bodies) expectWellFormed(parseWebhook(body));
  });

  it("on huge numbers and NUL characters where strings and small numbers belong", () => {
    const text = fixtures.find((f) => f.includes('"type": "order"'));
    if (!text) throw new Error("order fixture missing");
    const huge = text.replace('"item_price": 12500', '"item_price": 1e400').replace('"quantity": 2', '"quantity": 123456789012345678901234567890');
    const hugeResult = parseWebhook(JSON.parse(huge));
    expectWellFormed(hugeResult);
    // JSON.parse turns 1e400 into Infinity: refused rather than passed on as a price.
    expect(hugeResult.skipped[0]?.reason).toMatch(/^order\.product_items\[0\]\.item_price: .*Infinity/);
    const nul = text.replace('"timestamp": "1781703193"', '"timestamp": "17817\\u00003193"').replace('"2348031234567"', '"\\u0000"');
    expectWellFormed(parseWebhook(JSON.parse(nul)));
    expect(parseWebhook(JSON.parse(nul)).skipped[0]?.reason).toMatch(/^timestamp/);
  });
});
