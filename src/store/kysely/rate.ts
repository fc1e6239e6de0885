import { sql, type RawBuilder } from "kysely";
import type { StoreContext } from "./context.js";

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
export async function takeSendTokens(ctx: StoreContext, phoneNumberId: string, wanted: number, ratePerSecond: number, nowMs: number): Promise<number> {
  const want = Math.floor(wanted);
  if (want <= 0 || !(ratePerSecond > 0)) return 0;
  const capacity = Math.round(Math.max(ratePerSecond, 1) * MICRO);
  const perMs = Math.max(1, Math.round(ratePerSecond * 1000)); // micro-tokens per millisecond
  const fillMs = Math.ceil(capacity / perMs); // longer idle adds nothing (and cannot overflow)
  const firstGrant = Math.min(want, Math.floor(capacity / MICRO));

  const t = sql.raw("wahook_send_rate");
  const now = int(nowMs);
  const elapsed = sql`(case when ${now} - ${t}.updated_at_ms > ${int(fillMs)} then ${int(fillMs)} when ${now} > ${t}.updated_at_ms then ${now} - ${t}.updated_at_ms else 0 end)`;
  const refilled = sql`(${t}.tokens_micro + ${elapsed} * ${int(perMs)})`;
  const available = sql`(case when ${refilled} > ${int(capacity)} then ${int(capacity)} else ${refilled} end)`;
  const granted = sql<number>`(case when ${t}.paused_until_ms > ${now} then 0 when ${available} / ${int(MICRO)} > ${int(want)} then ${int(want)} else ${available} / ${int(MICRO)} end)`;

  const row = await ctx.db
    .insertInto("wahook_send_rate")
    .values({ phone_number_id: phoneNumberId, tokens_micro: capacity - firstGrant * MICRO, updated_at_ms: nowMs, paused_until_ms: 0, last_granted: firstGrant })
    .onConflict((oc) =>
      oc.column("phone_number_id").doUpdateSet({
        tokens_micro: sql`${available} - ${granted} * ${int(MICRO)}`,
        updated_at_ms: sql`(case when ${now} > ${t}.updated_at_ms then ${now} else ${t}.updated_at_ms end)`,
        last_granted: granted,
      }),
    )
    .returning("last_granted")
    .executeTakeFirstOrThrow();
  return Number(row.last_granted);
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
