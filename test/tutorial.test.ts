import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import { type Gateway, startGateway } from "../gateway/index.ts";
import { bash } from "./helpers/tiny-gateways.ts";

// The README tutorial, followed as written, against a gateway that sends the providers its own model name
// (the mock, like a real provider, does not serve it): preflight stops with exit 2 and the one command that
// fixes it; with that command run, the same tutorial command gets past preflight.
const repo = join(import.meta.dirname, "..");
const cli = `node ${join(repo, "bin/faultline.mjs")}`;
const dir = mkdtempSync(join(tmpdir(), "faultline-tutorial-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** The tutorial's fenced blocks, in order. */
function tutorialBlocks(): string[] {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const from = readme.indexOf("## Five-minute tutorial");
  const section = readme.slice(from, readme.indexOf("\n## ", from + 1));
  return [...section.matchAll(/```(?:sh|yaml)\n([\s\S]*?)```/g)].map((m) =>
    m[1]!
      .split("\n")
      .map((l) => l.replace(/^ {3}/, ""))
      .join("\n"),
  );
}

/** Starts a command line in the background; resolves with the mock's base URL once it is printed. */
function startMockCommand(line: string): Promise<{ url: string; child: ChildProcess }> {
  const command = line
    .replace(/^npm run faultline --|^npx faultline/, cli)
    .replace("--port 4010", "--port 0");
  const child = spawn("bash", ["-c", `exec ${command}`], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the mock did not start: ${out}`)), 30_000);
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/alpha\/v1/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child });
      }
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((r) => {
    child.once("close", () => r());
    child.kill("SIGTERM");
  });
}

describe("the README tutorial", () => {
  it("with a gateway that forwards its own model name stops at preflight with exit 2 and the one fixing command", async () => {
    const [mockBlock, profileBlock, runBlock] = tutorialBlocks();
    const mockLine = mockBlock!.split("\n").find((l) => l.startsWith("npm run faultline"))!;
    writeFileSync(join(dir, "my-gateway.yaml"), profileBlock!);
    const first = await startMockCommand(mockLine);
    const key = "sk-tutorial-key-0001";
    // Step 2: faultline-chat routed to alpha, beta, gamma in that order; it forwards its own model name.
    let gateway: Gateway | undefined;
    try {
      gateway = await startGateway({
        profile: loadProfile(join(dir, "my-gateway.yaml")),
        upstreams: ["alpha", "beta", "gamma"].map((name) => ({ name, baseUrl: `${first.url}/${name}/v1` })),
        apiKeys: [key],
        models: ["faultline-chat"],
        upstreamModel: "faultline-chat",
        attemptTimeoutMs: 250,
        deadlineMs: 2_000,
      });
      const runLine = runBlock!
        .replace(/\\\n\s*/g, "")
        .replace("npm run faultline --", cli)
        .replace("http://127.0.0.1:8080", gateway.url)
        .replace("http://127.0.0.1:4010", first.url)
        .trim();
      const stopped = await bash(`cd ${dir} && ${runLine}`, { MY_KEY: key }, 120_000);
      expect(stopped.code, stopped.stdout + stopped.stderr).toBe(2);
      expect(stopped.stdout).toContain("SETUP ERROR");
      const fixes = stopped.stdout.split("\n").filter((l) => l.trim().startsWith("Fix:"));
      const port = new URL(first.url).port;
      expect(fixes).toEqual([
        `    Fix: restart the mock serving that model: npx faultline mock --port ${port} --models faultline-chat`,
      ]);
      expect(stopped.stdout).not.toMatch(/FAIL (FO|EXH|UPS|STR)-/);
      expect(
        JSON.parse(readFileSync(join(dir, "reports/my-gateway/report.json"), "utf8")).setup,
      ).toHaveLength(1);

      // The fix, as printed; then the tutorial's command again gets past preflight into the run, and
      // Ctrl-C there still leaves a report that says so.
      await stop(first.child);
      const fixed = await startMockCommand(fixes[0]!.split("model: ")[1]!);
      expect(fixed.url).toBe(first.url);
      const interrupted = await bash(
        `cd ${dir} && exec ${runLine}`,
        { MY_KEY: key },
        120_000,
        (out, kill) => {
          if (/faultline: seed \d+/.test(out)) kill("SIGINT");
        },
      );
      expect(interrupted.stdout).not.toContain("SETUP ERROR");
      expect(interrupted.stdout).toContain("answered by alpha");
      expect(interrupted.code, interrupted.stdout + interrupted.stderr).toBe(130);
      const report = JSON.parse(readFileSync(join(dir, "reports/my-gateway/report.json"), "utf8"));
      expect(report.stopped.reason).toMatch(/^interrupted by SIGINT/);
      expect(readFileSync(join(dir, "reports/my-gateway/junit.xml"), "utf8")).toContain("run stopped early");
      expect(interrupted.stdout).not.toContain(key);
      await stop(fixed.child);
    } finally {
      await gateway?.close();
    }
  }, 180_000);
});
