import { afterEach, describe, expect, it } from "vitest";
import { isWahookError } from "../../src/errors.js";
import { openStore, type OpenStoreOptions } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { freshPostgresSchema, postgresUrl, skipWithoutPostgres } from "../helpers/databases.js";
import { claimRaceContract } from "./postgres-claim-race.js";
import { describeStoreContract } from "./store-contract.js";
import { liveRecordingContract, multiInstanceContract } from "./multi-instance.js";

const skip = skipWithoutPostgres("store contract: PostgreSQL");
const url = postgresUrl() ?? "postgres://unset";
const drops: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(drops.splice(0).map((drop) => drop()));
});

/** Stores sharing one fresh schema (dropped after the test); the first call creates it. */
function freshSchema() {
  const schema = freshPostgresSchema(url);
  drops.push(schema.drop);
  const open = (options: OpenStoreOptions = {}): Promise<Store> => openStore({ kind: "postgres", url }, { poolSize: 6, ...options, schema: schema.name });
  return { schema: schema.name, open };
}
const sharedSchema = () => freshSchema().open;

describe.skipIf(skip)("PostgreSQL", () => {
  describeStoreContract("PostgreSQL", () => sharedSchema()());
  multiInstanceContract(sharedSchema);
  liveRecordingContract(sharedSchema);
  claimRaceContract(freshSchema, url);

  it("reports an unreachable server as STORE_UNAVAILABLE without leaking the password", async () => {
    const error = await openStore({ kind: "postgres", url: "postgres://wahook:s3cret-pw@127.0.0.1:1/none" }).then(() => undefined, (e: unknown) => e);
    expect(isWahookError(error, "STORE_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain("127.0.0.1:1");
    expect((error as Error).message).not.toContain("s3cret-pw");
  });
});
