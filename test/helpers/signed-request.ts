import { readFileSync } from "node:fs";
import { sign } from "../../src/webhook/signature.js";

/** The App Secret that test/fixtures/signatures.json was computed with. */
export const FIXTURE_SECRET = "fixture-app-secret";

const FIXTURES_URL = new URL("../fixtures/", import.meta.url);

export type SignedBody = {
  body: Buffer;
  headers: { "content-type": "application/json"; "x-hub-signature-256": string };
};

const readSignatures = (): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL("signatures.json", FIXTURES_URL), "utf8")) as Record<string, unknown>;

const headersFor = (signature: string): SignedBody["headers"] => ({
  "content-type": "application/json",
  "x-hub-signature-256": signature,
});

/** A body with the headers Meta would send for it under `secret`. */
export const signedBody = (body: string | Buffer, secret = "test-secret"): SignedBody => {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return { body: bytes, headers: headersFor(sign(bytes, secret)) };
};

/** The exact bytes of test/fixtures/<name> and the precomputed signature from signatures.json. */
export const fixtureBody = (name: string): SignedBody & { signature: string } => {
  const signature = readSignatures()[name];
  if (typeof signature !== "string" || !signature.startsWith("sha256=")) {
    throw new Error(`test/fixtures/signatures.json has no signature for ${name}`);
  }
  const body = readFileSync(new URL(name, FIXTURES_URL));
  return { body, signature, headers: headersFor(signature) };
};

/** Fixture file names that signatures.json covers (every key except its metadata). */
export const signedFixtureNames = (): string[] => {
  return Object.keys(readSignatures()).filter((key) => key.endsWith(".json"));
};
