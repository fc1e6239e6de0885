// Signed webhook bodies shaped like Meta's (the product's simulator, from dist/, gives the shape
// and the wire encoding), each message with its own wamid and sender, written one per line
// ("sha256=<hex> <body>") for wrk, or built in memory for the Node client.
import { createHmac } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { simulatedDelivery, toWireJson } from "../../dist/cli/simulated-events.js";

export const SECRET = "bench-app-secret";
export const PHONE_NUMBER_ID = "100000000000001";
export const sign = (body) => "sha256=" + createHmac("sha256", SECRET).update(body).digest("hex");

const NOW_SEC = 1_760_000_000;
const TEMPLATE = JSON.parse(simulatedDelivery({ type: "text", text: "x", nowSec: NOW_SEC, phoneNumberId: PHONE_NUMBER_ID, random: Math.random }));
const FILLER = "Hello, I would like to know whether my order has shipped and when it will arrive; thanks! ";

/** Meta's inbound wamid layout (see dist/cli/simulated-events.js) with a counter instead of random hex. */
function wamid(waId, n) {
  const hex = n.toString(16).toUpperCase().padStart(20, "0");
  return "wamid." + Buffer.concat([Buffer.from([0x1c, 0x18, waId.length]), Buffer.from(waId), Buffer.from([0x15, 0x02, 0x00, 0x12, 0x18, 20]), Buffer.from(hex), Buffer.from([0])]).toString("base64");
}

/** Message n (a global counter): sender 1555xxxxxxx, text "<tag> <n> ...", `textChars` long. */
export function message(tag, n, textChars) {
  const from = String(15_550_000_000 + (n % 1_000_000_000));
  const body = `${tag} ${n} ${FILLER.repeat(Math.ceil(textChars / FILLER.length))}`.slice(0, textChars);
  return {
    contact: { profile: { name: "Zoë Tester" }, wa_id: from },
    message: { from, id: wamid(from, n), timestamp: String(NOW_SEC), type: "text", text: { body } },
  };
}

/** One delivery (one entry, one change, as Meta batches) of messages first .. first+count-1. */
export function deliveryBody(tag, first, count, textChars) {
  const parts = Array.from({ length: count }, (_, i) => message(tag, first + i, textChars));
  const value = { ...TEMPLATE.entry[0].changes[0].value, contacts: parts.map((p) => p.contact), messages: parts.map((p) => p.message) };
  return toWireJson({ ...TEMPLATE, entry: [{ id: "0", changes: [{ value, field: "messages" }] }] });
}

/** The ack-path shapes: ~1.2 KB (one text message) and ~30 KB (a batch of 24 text messages). */
export const SHAPES = {
  "1.2KB": { messages: 1, textChars: 760 },
  "30KB": { messages: 24, textChars: 1020 },
};

/** Writes `count` signed bodies of `shape`, messages numbered from `first`; returns the mean size. */
export function writeBodies(path, { shape, count, tag, first = 0 }) {
  const { messages, textChars } = SHAPES[shape];
  const fd = openSync(path, "w");
  let bytes = 0;
  let lines = [];
  for (let i = 0; i < count; i += 1) {
    const body = deliveryBody(tag, first + i * messages, messages, textChars);
    bytes += Buffer.byteLength(body);
    lines.push(`${sign(body)} ${body}\n`);
    if (lines.length === 500 || i === count - 1) {
      writeSync(fd, lines.join(""));
      lines = [];
    }
  }
  closeSync(fd);
  return Math.round(bytes / count);
}
