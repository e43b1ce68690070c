import { spawn } from "node:child_process";

/**
 * Runs the user's reset hook (`--between-cases CMD`) through the shell, with a deadline. Resolves to
 * undefined when it exited 0, or to what went wrong. The hook runs in its own process group, so a
 * deadline ends everything it started.
 */
export function runHook(
  cmd: string,
  deadlineMs: number,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(cmd, { shell: true, detached: true, stdio: ["ignore", "ignore", "pipe"], env });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString("utf8")).slice(-500);
    });
    const tail = () => (stderr.trim() ? ` (stderr: ${stderr.trim()})` : "");
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
      resolve(`did not finish within ${deadlineMs} ms${tail()}`);
    }, deadlineMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve(`could not start: ${e.message}`);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(undefined);
      else resolve(`${signal ? `was killed by ${signal}` : `exited ${code}`}${tail()}`);
    });
  });
}
