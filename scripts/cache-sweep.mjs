// Directories under node_modules/.cache named after the process that made them (`faultline-build-<pid>`,
// `faultline-bench-<pid>`): one left by a process killed half way (SIGKILL, a power cut) is swept by the
// next, and one of a process still running is left alone. Plain JavaScript: scripts/build.mjs uses it
// before anything is built.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/** Whether a process with this pid exists (EPERM: it does, and is someone else's). */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

/** Removes the directories in `cache` whose name `pattern` matches, with the pid as its first group, of processes that are gone. */
export function sweepDead(cache, pattern) {
  for (const name of existsSync(cache) ? readdirSync(cache) : []) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    rmSync(join(cache, name), { recursive: true, force: true });
  }
}
