import { initial } from "./001-initial.js";
import { outboxClaims } from "./002-outbox-claims.js";
import { claimOrderIndexes } from "./003-claim-order-indexes.js";
import { deliveryJournal } from "./004-delivery-journal.js";
import { logCursor } from "./005-log-cursor.js";
import type { Migration } from "./migration.js";

/** Every migration, in order. Append; never edit one that has shipped. */
export const migrations: readonly Migration[] = [initial, outboxClaims, claimOrderIndexes, deliveryJournal, logCursor];
