import { parseDatabaseUrl, type Env } from "../config.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";

/**
 * The store the server would use, for the commands that only need the database (migrate,
 * outbox): DATABASE_URL and DATABASE_SCHEMA, without requiring the webhook secrets.
 */
export async function withCliStore<T>(env: Env, use: (store: Store) => Promise<T>, options: { migrate?: boolean } = {}): Promise<T> {
  const schema = env.DATABASE_SCHEMA?.trim();
  const store = await openStore(parseDatabaseUrl(env.DATABASE_URL), { ...(schema ? { schema } : {}), ...options });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
