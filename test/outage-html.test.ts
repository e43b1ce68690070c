// The outage report as people see it: outage.html opened in headless Chromium (Debian's `chromium`; .ci/run
// installs it). The charts must be drawn from the data, and every number the page shows must be outage.json's.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOutageCommand } from "../scripts/cli/outage.ts";
import { CHARTS } from "../suites/outage/html.ts";
import type { OutageResult } from "../suites/outage/result.ts";

const CHROMIUM = process.env.FAULTLINE_CHROMIUM ?? "/usr/bin/chromium";
const dir = mkdtempSync(join(tmpdir(), "faultline-outage-html-"));
let browser: BrowserContext | undefined;
let report: OutageResult;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set FAULTLINE_CHROMIUM)`);
  const out = await runOutageCommand({
    scenario: "provider-down",
    profile: "lumenfall",
    rate: 40,
    duration: 6,
    seed: 5,
    report: join(dir, "report"),
    quiet: true,
  });
  expect(out.exitCode, out.output).toBe(0);
  report = JSON.parse(readFileSync(join(dir, "report", "outage.json"), "utf8"));
  browser = await chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

const hex = (c: string) => [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16));

describe("outage.html in headless Chromium", () => {
  it("draws every chart from the data and shows outage.json's numbers", async () => {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) problems.push(`the page loaded ${r.url()}`);
    });
    await page.goto(`file://${join(dir, "report", "outage.html")}`);
    await page.waitForSelector("body[data-rendered='4']", { timeout: 20_000 });

    // Each chart's line: pixels of its series colour, spread over more than one height where the data moves.
    const drawn = await page.evaluate(
      (charts) =>
        charts.map(({ id, rgb }) => {
          const canvas = document.querySelector<HTMLCanvasElement>(`#chart-${id} canvas`)!;
          const { data, width, height } = canvas
            .getContext("2d")!
            .getImageData(0, 0, canvas.width, canvas.height);
          let pixels = 0;
          const rows = new Set<number>();
          for (let i = 0; i < data.length; i += 4) {
            const d =
              Math.abs(data[i]! - rgb[0]!) +
              Math.abs(data[i + 1]! - rgb[1]!) +
              Math.abs(data[i + 2]! - rgb[2]!);
            if (d < 40 && data[i + 3]! > 200) {
              pixels++;
              rows.add(Math.floor(i / 4 / width));
            }
          }
          return { id, pixels, rows: rows.size, width, height };
        }),
      CHARTS.map((c) => ({ id: c.id, rgb: hex(c.colour) })),
    );
    for (const c of drawn) expect(c.pixels, `chart ${c.id}`).toBeGreaterThan(100);
    // Attempts per request rise from 1 to 2 while alpha is down and fall back after: the line climbs.
    expect(drawn.find((c) => c.id === "attempts")!.rows).toBeGreaterThan(10);

    const rows = await page.$$eval("#phases tbody tr", (trs) =>
      trs.map((tr) => ({
        phase: tr.getAttribute("data-phase"),
        cells: Object.fromEntries(
          Array.from(tr.querySelectorAll("td[data-field]")).map((td) => [
            td.getAttribute("data-field"),
            td.textContent,
          ]),
        ),
      })),
    );
    expect(rows.map((r) => r.phase)).toEqual(report.phases.map((p) => p.name));
    for (const [i, p] of report.phases.entries()) {
      expect(rows[i]!.cells).toMatchObject({
        sent: String(p.sent),
        goodputPerS: String(p.goodputPerS),
        p50: String(p.latencyMs.p50),
        p99: String(p.latencyMs.p99),
        attemptsMean: String(p.attemptsPerRequest.mean),
        attemptsMax: String(p.attemptsPerRequest.max),
        verdict: p.passed ? "pass" : "FAIL",
      });
    }
    expect(await page.textContent("#duration")).toBe(String(report.durationS));
    expect(await page.textContent("#recovery")).toContain(`${report.recovery.recoveredAfterS} s after`);
    expect(await page.textContent("#verdict")).toBe("PASSED");
    // While alpha is down every request fails over: two attempts each.
    const down = report.phases.find((p) => p.name === "alpha-down")!;
    expect(down.attemptsPerRequest.mean).toBeGreaterThan(1.5);
    expect(problems).toEqual([]);
    await page.close();
  });
});
