import { createHash } from "node:crypto";
import type pg from "pg";

/**
 * Server-side prepared statements for the workers' hot statements. PostgreSQL parses, analyses
 * and plans an unnamed statement at every execution; a named one is parsed once per connection
 * and, after five runs, executed with a cached generic plan when that costs no more than the
 * custom ones (https://www.postgresql.org/docs/current/sql-prepare.html, "plan_cache_mode").
 * Those statements (CTEs over unnest() row sets) cost more to plan than to run, and PostgreSQL
 * shares the machine's cores with the instances. Only registered texts get a name: the store's
 * fixed set of compiled-once statements (kysely/prepared.ts). A name per ad-hoc text (record's
 * multi-row inserts vary with the batch) would grow every connection's statement cache for ever.
 */
export interface NamedStatements {
  /** the pool to hand to Kysely: its clients send registered texts as named statements */
  readonly pool: pg.Pool;
  /** registers SQL texts to be prepared by name on each connection that runs them */
  register(texts: Iterable<string>): void;
}

type Query = (...args: unknown[]) => unknown;

export function namedStatements(pool: pg.Pool): NamedStatements {
  const names = new Map<string, string>();
  // One wrapper per pooled client: Kysely keys its connection objects by client identity.
  const wrapped = new WeakMap<pg.PoolClient, pg.PoolClient>();
  const wrap = (client: pg.PoolClient): pg.PoolClient => {
    const known = wrapped.get(client);
    if (known) return known;
    const query = client.query.bind(client) as Query;
    const named: Query = (text, values, ...rest) => {
      const name = typeof text === "string" ? names.get(text) : undefined;
      return name === undefined ? query(text, values, ...rest) : query({ name, text, values });
    };
    const proxy = new Proxy(client, {
      get: (target, key) => {
        if (key === "query") return named;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === "function" ? (value as Query).bind(target) : value;
      },
    });
    wrapped.set(client, proxy);
    return proxy;
  };
  const facade = new Proxy(pool, {
    get: (target, key) => {
      if (key === "connect") return async () => wrap(await target.connect());
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? (value as Query).bind(target) : value;
    },
  });
  return {
    pool: facade,
    register(texts) {
      for (const text of texts) names.set(text, `wahook_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`);
    },
  };
}
