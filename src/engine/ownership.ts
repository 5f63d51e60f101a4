/**
 * Who holds an execution's lease: by default this process (`host:pid`), so that a
 * process on the same host can tell an owner that is gone (killed, crashed) from one
 * that is alive, and take its executions over without waiting for the lease to expire.
 */

import { hostname } from "node:os";

export const defaultOwner = (): string => `${hostname()}:${process.pid}`;

/** `owner` is a process of this host that no longer exists. */
export function ownerGone(owner: string | undefined): boolean {
  if (owner === undefined) return false;
  const at = owner.lastIndexOf(":");
  if (at === -1 || owner.slice(0, at) !== hostname()) return false;
  const pid = Number(owner.slice(at + 1));
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
