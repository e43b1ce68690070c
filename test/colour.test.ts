// Colour in the console summary: only the PASS/FAIL words and the verdict, only when wanted (NO_COLOR,
// FORCE_COLOR, a terminal).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { colourEnabled, paintSummary } from "../suites/report/colour.ts";

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe("colourEnabled", () => {
  it("colours a terminal and nothing else by default", () => {
    expect(colourEnabled({}, tty)).toBe(true);
    expect(colourEnabled({}, pipe)).toBe(false);
    expect(colourEnabled({ TERM: "dumb" }, tty)).toBe(false);
  });

  it("honours NO_COLOR when it is set to anything but the empty string", () => {
    expect(colourEnabled({ NO_COLOR: "1" }, tty)).toBe(false);
    expect(colourEnabled({ NO_COLOR: "0" }, tty)).toBe(false);
    expect(colourEnabled({ NO_COLOR: "" }, tty)).toBe(true);
  });

  it("lets FORCE_COLOR decide when set: 0 and false turn colour off, anything else on, over NO_COLOR too", () => {
    for (const on of ["1", "2", "3", "true", ""]) expect(colourEnabled({ FORCE_COLOR: on }, pipe)).toBe(true);
    for (const off of ["0", "false"]) expect(colourEnabled({ FORCE_COLOR: off }, tty)).toBe(false);
    expect(colourEnabled({ FORCE_COLOR: "1", NO_COLOR: "1" }, pipe)).toBe(true);
  });
});

describe("paintSummary", () => {
  const summary = [
    "  passed  blackbox.auth  25 of 25 cases, 310 ms",
    "FAIL EXH-001   must   Exhaustion answers the profile's exhaustion code — 1 violation(s)",
    "PASS ENV-001   must   Every error is the profile's JSON envelope (16 exchanges)",
    "NOT DECLARED TS-001    must   Error timestamps are ISO 8601",
    "    Received: PASS FAIL \\u001b[31m",
    "FAILED: 1 passed, 1 failed",
  ].join("\n");

  it("colours the PASS and FAIL words of check lines and the verdict's lead, nothing else", () => {
    expect(paintSummary(summary, true).split("\n")).toEqual([
      "  passed  blackbox.auth  25 of 25 cases, 310 ms",
      "\u001b[31mFAIL\u001b[39m EXH-001   must   Exhaustion answers the profile's exhaustion code — 1 violation(s)",
      "\u001b[32mPASS\u001b[39m ENV-001   must   Every error is the profile's JSON envelope (16 exchanges)",
      "NOT DECLARED TS-001    must   Error timestamps are ISO 8601",
      "    Received: PASS FAIL \\u001b[31m",
      "\u001b[31mFAILED\u001b[39m: 1 passed, 1 failed",
    ]);
    expect(paintSummary("PASSED: 3 passed", true)).toBe("\u001b[32mPASSED\u001b[39m: 3 passed");
  });

  it("leaves the text as it is when colour is off", () => {
    expect(paintSummary(summary, false)).toBe(summary);
  });
});

const reportDir = mkdtempSync(join(tmpdir(), "faultline-colour-"));
afterAll(() => rmSync(reportDir, { recursive: true, force: true }));

/** `faultline run` of one check against the built-in gateway, its stdout piped (not a terminal). */
function runOne(env: NodeJS.ProcessEnv): Promise<string> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => k !== "NO_COLOR" && k !== "FORCE_COLOR"),
    );
    const child = spawn(
      process.execPath,
      [
        "bin/faultline.mjs",
        "run",
        "--only",
        "ENV-001",
        "--runs",
        "2",
        "--seed",
        "1",
        "--report",
        "reports/colour-test",
      ],
      { cwd: root, env: { ...clean, ...env }, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

describe("the console summary", () => {
  it("is coloured with FORCE_COLOR even through a pipe, only in the PASS words and the verdict", async () => {
    const out = await runOne({ FORCE_COLOR: "1" });
    expect(out).toContain("\u001b[32mPASS\u001b[39m ENV-001");
    expect(out).toMatch(/\n\u001b\[32mPASSED\u001b\[39m: /);
    const escapes = out.match(/\u001b\[\d+m/g) ?? [];
    // Each coloured word opens and closes once: PASS lines and the verdict, nothing else.
    const coloured = out.split("\n").filter((l) => l.includes("\u001b[")).length;
    expect(escapes.length).toBe(2 * coloured);
  }, 180_000);

  it("has no escape codes at all with NO_COLOR or through a pipe", async () => {
    for (const env of [{ NO_COLOR: "1" }, {}]) expect(await runOne(env)).not.toContain("\u001b[");
  }, 180_000);
});
