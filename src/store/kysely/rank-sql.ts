import { sql, type Expression, type RawBuilder } from "kysely";
import { statusRank } from "../../status/rank.js";

/**
 * The statuses status/rank.ts ranks. Listed here because SQL needs them spelled out; the ranks
 * themselves come from statusRank, and the contract suite checks SQL and TypeScript agree.
 */
export const RANKED_STATUSES = ["sent", "failed", "delivered", "read", "played"] as const;

/** `statusRank(expr)` as a CASE expression: unknown statuses and NULL rank 0, as in TypeScript. */
export const rankOf = (expr: Expression<string | null>): RawBuilder<number> =>
  sql<number>`(case ${expr} ${sql.join(
    RANKED_STATUSES.map((status) => sql`when ${sql.lit(status)} then ${sql.lit(statusRank(status))}`),
    sql` `,
  )} else 0 end)`;
