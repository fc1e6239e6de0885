import { setTimeout as sleep } from "node:timers/promises";
import type { RunningServer } from "../server.js";
import type { SandboxSend } from "./demo-sandbox.js";
import { simulatedDelivery, type SimulatedDeliveryOptions } from "./simulated-events.js";

interface Step {
  label: string;
  /** what the webhook's 200 means for this step */
  meaning: string;
  body: string;
  /** echo-upper answers text only; a duplicate must get no second reply */
  expectReply: boolean;
}

const USER = { from: "15550001111", name: "Zoë Tester" };

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/**
 * The scripted conversation: each message is posted signed, as Meta would; each reply the bot
 * sends to the sandbox is answered with sent / delivered / read status webhooks, as Meta would.
 */
export async function runDemoScript(options: { server: RunningServer; sends: readonly SandboxSend[]; post: (body: string) => Promise<number>; say: (line: string) => void }): Promise<boolean> {
  const { sends, post, say } = options;
  const delivery = (o: Partial<SimulatedDeliveryOptions> & Pick<SimulatedDeliveryOptions, "type">) =>
    simulatedDelivery({ ...USER, nowSec: Math.floor(Date.now() / 1000), random: Math.random, ...o });
  const first = delivery({ type: "text", text: "Hello wahook!" });
  const steps: Step[] = [
    { label: "a text message", meaning: "recorded, then acknowledged", body: first, expectReply: true },
    { label: "text with emoji and accents", meaning: "recorded, then acknowledged", body: delivery({ type: "text", text: "Olá 👋 ¿qué tal? Grüße — 你好" }), expectReply: true },
    { label: "an image", meaning: "recorded; echo-upper answers text only", body: delivery({ type: "image", text: "Is this the right part?" }), expectReply: false },
    { label: "the first message again, as a Meta retry (same wamid)", meaning: "already recorded: acknowledged, not handled again", body: first, expectReply: false },
  ];
  let ok = true;
  for (const step of steps) {
    const before = sends.filter((s) => s.wamid).length;
    say(`\n▶ Meta posts ${step.label}`);
    const status = await post(step.body);
    say(`  webhook answers HTTP ${status}${status === 200 ? `: ${step.meaning}` : ""}`);
    ok &&= status === 200;
    const replied = await waitFor(() => sends.filter((s) => s.wamid).length > before, step.expectReply ? 5000 : 800);
    if (replied !== step.expectReply) {
      ok = false;
      say(step.expectReply ? "  ✗ no reply arrived" : "  ✗ an unexpected reply was sent");
    }
    if (!replied) {
      if (!step.expectReply) say("  (no reply, as expected)");
      continue;
    }
    const reply = sends.filter((s) => s.wamid).at(-1);
    for (const deliveryStatus of ["sent", "delivered", "read"] as const) {
      const code = await post(delivery({ type: "status", status: deliveryStatus, messageId: reply?.wamid ?? undefined }));
      say(`  Meta reports the reply ${deliveryStatus}: HTTP ${code}`);
      ok &&= code === 200;
    }
  }
  const rows = await options.server.store.listOutbox({ limit: 10 });
  const duplicates = (await options.server.app.metrics.duplicates.get()).values.reduce((sum, v) => sum + v.value, 0);
  say(`\nOutbox: ${rows.map((r) => `#${r.id} ${r.state}/${r.deliveryStatus ?? "-"}`).join(", ")}; duplicates ignored: ${duplicates}`);
  ok &&= rows.length === 2 && rows.every((r) => r.state === "sent" && r.deliveryStatus === "read") && duplicates >= 1;
  say(ok ? "Every message was recorded once and answered once. ✓" : "Something did not go as expected; see the lines above.");
  return ok;
}
