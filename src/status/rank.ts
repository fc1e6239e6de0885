/**
 * Delivery statuses only move forward, whatever order Meta delivers them in: `read` may come
 * without `delivered`, or before our send call returned its wamid (spec §3, statuses).
 * `failed` outranks `sent` but yields to a later success (delivered/read/played).
 */
const ranks: Record<string, number> = { sent: 1, failed: 2, delivered: 3, read: 4, played: 5 };

export const statusRank = (status: string | null | undefined): number => (status ? (ranks[status] ?? 0) : 0);

/** The status an outbox row shows after `incoming` arrives. */
export const advanceStatus = (current: string | null, incoming: string): string | null =>
  statusRank(incoming) > statusRank(current) ? incoming : current;
