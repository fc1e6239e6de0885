import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database, StoreDialect } from "../schema.js";
import type { StoreContext } from "./context.js";
import { prepare } from "./prepared.js";

const MICRO = 1_000_000;

/** A bound integer that both dialects treat as 64-bit (PostgreSQL would otherwise guess types). */
const int = (value: number): RawBuilder<number> => sql<number>`cast(${Math.round(value)} as bigint)`;

/**
 * Shared token bucket, one row per business number. Tokens are integer micro-tokens so the
 * arithmetic (and the floor of `/`) is exact and the same in SQLite and PostgreSQL. Capacity is one
 * second's worth but at least one token (else a rate below 1/s could never send). The whole
 * refill-and-take is ONE upsert, atomic under concurrency (PostgreSQL row lock, SQLite's single
 * writer); it stores its own grant in last_granted so RETURNING can report it.
 */
function take(db: Kysely<Database>, dialect: StoreDialect) {
  // Multi-argument min/max keep the statement short enough for SQLite's statement cache.
  const [least, greatest] = dialect === "sqlite" ? [sql.raw("min"), sql.raw("max")] : [sql.raw("least"), sql.raw("greatest")];
  return prepare(db, ["phoneNumberId", "nowMs", "want", "capacity", "perMs", "fillMs", "firstTokens", "firstGrant"], (p) => {
    const t = sql.raw("wahook_send_rate");
    const [now, want, capacity, perMs, fillMs] = [p.nowMs, p.want, p.capacity, p.perMs, p.fillMs].map((value) => sql<number>`cast(${value} as bigint)`);
    const elapsed = sql`${greatest}(0, ${least}(${fillMs}, ${now} - ${t}.updated_at_ms))`;
    const available = sql`${least}(${capacity}, ${t}.tokens_micro + ${elapsed} * ${perMs})`;
    const granted = sql<number>`(case when ${t}.paused_until_ms > ${now} then 0 else ${least}(${want}, ${available} / ${int(MICRO)}) end)`;
    return db
      .insertInto("wahook_send_rate")
      .values({ phone_number_id: p.phoneNumberId, tokens_micro: p.firstTokens, updated_at_ms: p.nowMs, paused_until_ms: 0, last_granted: p.firstGrant })
      .onConflict((oc) =>
        oc.column("phone_number_id").doUpdateSet({
          tokens_micro: sql`${available} - ${granted} * ${int(MICRO)}`,
          updated_at_ms: sql`${greatest}(${now}, ${t}.updated_at_ms)`,
          last_granted: granted,
        }),
      )
      .returning("last_granted");
  });
}

export const rateStatements = (db: Kysely<Database>, dialect: StoreDialect) => ({ take: take(db, dialect) });

export async function takeSendTokens(ctx: StoreContext, phoneNumberId: string, wanted: number, ratePerSecond: number, nowMs: number): Promise<number> {
  const want = Math.floor(wanted);
  if (want <= 0 || !(ratePerSecond > 0)) return 0;
  const capacity = Math.round(Math.max(ratePerSecond, 1) * MICRO);
  const perMs = Math.max(1, Math.round(ratePerSecond * 1000)); // micro-tokens per millisecond
  const fillMs = Math.ceil(capacity / perMs); // longer idle adds nothing (and cannot overflow)
  const firstGrant = Math.min(want, Math.floor(capacity / MICRO));
  const { rows } = await ctx.statements.rate.take.run(ctx.db, {
    phoneNumberId, nowMs: Math.round(nowMs), want, capacity, perMs, fillMs, firstTokens: capacity - firstGrant * MICRO, firstGrant,
  });
  return Number(rows[0]?.last_granted ?? 0);
}

/**
 * Meta reported 130429 (throughput exceeded): no tokens until untilMs, and the bucket restarts
 * empty then, refilling at the normal rate, rather than bursting straight back into the limit.
 */
export async function pauseSends(ctx: StoreContext, phoneNumberId: string, untilMs: number): Promise<void> {
  const t = sql.raw("wahook_send_rate");
  const until = int(untilMs);
  await ctx.db
    .insertInto("wahook_send_rate")
    .values({ phone_number_id: phoneNumberId, tokens_micro: 0, updated_at_ms: untilMs, paused_until_ms: untilMs, last_granted: 0 })
    .onConflict((oc) =>
      oc.column("phone_number_id").doUpdateSet({
        tokens_micro: 0,
        paused_until_ms: sql`(case when ${t}.paused_until_ms > ${until} then ${t}.paused_until_ms else ${until} end)`,
        updated_at_ms: sql`(case when ${t}.updated_at_ms > ${until} then ${t}.updated_at_ms else ${until} end)`,
      }),
    )
    .execute();
}
