import type { Kysely } from "kysely";
import type { Database, StoreDialect } from "../schema.js";

/**
 * A numbered schema change. Each one runs inside the migration transaction; both dialects get the
 * same logical schema, with dialect branches only where the DDL itself differs.
 */
export interface Migration {
  id: number;
  name: string;
  up(db: Kysely<Database>, dialect: StoreDialect): Promise<void>;
}
