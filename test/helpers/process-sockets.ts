import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * The local ports of the TCP connections a process holds (Linux /proc): with them a test can pick
 * out the PostgreSQL backends of its own server (pg_stat_activity.client_port) and leave those of
 * other test files' servers alone.
 */
export function localTcpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (socket?.[1]) inodes.add(socket[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ["tcp", "tcp6"]) {
    let text = "";
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, "utf8");
    } catch {
      continue;
    }
    // columns: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    for (const line of text.split("\n").slice(1)) {
      const columns = line.trim().split(/\s+/);
      const local = columns[1]?.split(":")[1];
      if (local !== undefined && columns[9] !== undefined && inodes.has(columns[9])) ports.push(parseInt(local, 16));
    }
  }
  return ports;
}
