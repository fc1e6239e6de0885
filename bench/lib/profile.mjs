// Reads a V8 .cpuprofile (node --cpu-prof) and ranks functions by self time.
import { readFileSync } from "node:fs";
import { relative } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;

/** [{ name, where, selfMs, share }] sorted by self time; idle time is left out of the shares. */
export function topSelfTime(path, limit = 25) {
  const profile = JSON.parse(readFileSync(path, "utf8"));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totals = new Map();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    if (functionName === "(idle)") continue;
    busyUs += us;
    const file = url.startsWith("file://") ? relative(ROOT, new URL(url).pathname) : url;
    const key = `${functionName || "(anonymous)"}\t${file ? `${file}:${lineNumber + 1}` : ""}`;
    totals.set(key, (totals.get(key) ?? 0) + us);
  }
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, us]) => {
      const [name, where] = key.split("\t");
      return { name, where, selfMs: Math.round(us / 1000), share: us / busyUs };
    });
}

/**
 * Busy time charged to the innermost frame of wahook's own code (dist/) on each sample's stack, so
 * the library and native time a product function causes (SQL, fsync) is counted against it.
 */
export function byProductFrame(path, limit = 15) {
  const profile = JSON.parse(readFileSync(path, "utf8"));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const totals = new Map();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    if (byId.get(id).callFrame.functionName === "(idle)") return;
    const us = profile.timeDeltas[i] ?? 0;
    busyUs += us;
    let at = id;
    let key = "(outside wahook code)\t";
    while (at !== undefined) {
      const { functionName, url, lineNumber } = byId.get(at).callFrame;
      const file = url.startsWith("file://") ? relative(ROOT, new URL(url).pathname) : "";
      if (file.startsWith("dist/")) {
        key = `${functionName || "(anonymous)"}\t${file}:${lineNumber + 1}`;
        break;
      }
      at = parent.get(at);
    }
    totals.set(key, (totals.get(key) ?? 0) + us);
  });
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([key, us]) => {
    const [name, where] = key.split("\t");
    return { name, where, selfMs: Math.round(us / 1000), share: us / busyUs };
  });
}

/** Self time grouped by package / product folder: where the busy time goes, coarsely. */
export function selfTimeByArea(path) {
  const profile = JSON.parse(readFileSync(path, "utf8"));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const areas = new Map();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const { functionName, url } = byId.get(id).callFrame;
    if (functionName === "(idle)") return;
    const us = profile.timeDeltas[i] ?? 0;
    busyUs += us;
    const file = url.startsWith("file://") ? relative(ROOT, new URL(url).pathname) : url;
    const area = file.startsWith("node_modules/")
      ? file.split("/").slice(0, file.startsWith("node_modules/@") ? 3 : 2).join("/")
      : file.startsWith("dist/") ? file.split("/").slice(0, 2).join("/").replace(/\.js$/, "") : file.startsWith("node:") ? "node: (core)" : functionName.startsWith("(") ? functionName : file || "(native)";
    areas.set(area, (areas.get(area) ?? 0) + us);
  });
  return [...areas].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, share: us / busyUs }));
}
