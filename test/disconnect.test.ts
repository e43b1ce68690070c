import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import { type Gateway, startGateway } from "../gateway/index.ts";
import { DEFAULT_PROVIDERS } from "../mocks/engine.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { builtinTarget } from "../node/builtin.ts";
import { replayCase } from "../scripts/cli/replay.ts";
import { runHarness } from "../scripts/cli/run.ts";
import { allChecks } from "../suites/checks/index.ts";
import { caseOf, SITUATIONS } from "../suites/disconnect.ts";
import type { RunContext } from "../suites/harness/context.ts";
import { execute } from "../suites/harness/execute.ts";
import { MockClient } from "../suites/harness/mock-client.ts";
import type { CaseSpec } from "../suites/harness/types.ts";

// docs/contract.md §22 against real processes on loopback: the reference gateway propagates a client's
// disconnect in every situation of the property, a gateway that learns of it 1.5 s late still passes,
// one that learns of it 3 s late and the catalogue's mutant do not.

const profile = loadProfile("lumenfall");
const dir = mkdtempSync(join(tmpdir(), "faultline-disc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Stack {
  mock: MockServer;
  gw: Gateway;
  close(): Promise<void>;
}

async function stack(o: {
  attemptTimeoutMs: number;
  deadlineMs: number;
  defects?: string[];
}): Promise<Stack> {
  const mock = await startMock({ providers: DEFAULT_PROVIDERS });
  const gw = await startGateway({
    profile,
    upstreams: DEFAULT_PROVIDERS.map((p) => ({ name: p.name, baseUrl: mock.providerUrl(p.name) })),
    ...o,
  });
  return {
    mock,
    gw,
    async close() {
      await gw.close();
      await mock.close();
    },
  };
}

/**
 * A TCP proxy in front of a gateway that passes the client's close on only `delayMs` later: with it, the
 * gateway learns late that its client left, and so closes its upstream attempt late.
 */
async function lateCloser(target: string, delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => sockets.delete(s));
    }
    // No `end` forwarded: the gateway must not see the client's FIN before the delay.
    client.pipe(upstream, { end: false });
    upstream.on("data", (d) => {
      if (!client.destroyed) client.write(d);
    });
    upstream.on("close", () => client.destroy());
    client.on("close", () => {
      const t = setTimeout(() => {
        timers.delete(t);
        upstream.destroy();
      }, delayMs);
      timers.add(t);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function contextFor(gatewayUrl: string, mockUrl: string): RunContext {
  return {
    profile,
    target: builtinTarget(gatewayUrl, mockUrl),
    mock: new MockClient(mockUrl),
    seed: 1,
    runs: 1,
    harnessDeadlineMs: 15_000,
    providers: DEFAULT_PROVIDERS.map((p) => p.name),
  };
}

/** One case per situation of the property (coverage and random-only alike), by situation id. */
function situations(ctx: RunContext, ids?: string[]): CaseSpec[] {
  const chosen = ids ? SITUATIONS.filter((s) => ids.includes(s.id)) : SITUATIONS;
  return chosen.map((s) => caseOf(ctx, s, "Why is the sky blue?", 0));
}

async function runAll(ctx: RunContext, cases: CaseSpec[]) {
  const checks = allChecks();
  return Promise.all(cases.map(async (c) => ({ id: c.note!, ex: await execute(c, ctx, checks) })));
}

/** Situations in which no provider fails fast: only how soon the gateway closes matters, not its failover. */
const NO_FAILOVER_BAIT = [
  "json.hang",
  "json.slow_answer",
  "stream.hang",
  "stream.after_headers",
  "stream.after_first_event",
  "stream.stall_after_first_event",
];

describe.concurrent("a client's disconnect reaches the providers (DISC-001)", () => {
  it("the reference gateway closes its attempt at once and starts no other, in every situation", async () => {
    const s = await stack({ attemptTimeoutMs: 2_000, deadlineMs: 10_000 });
    try {
      const ctx = contextFor(s.gw.url, s.mock.url);
      const runs = await runAll(ctx, situations(ctx));
      for (const { id, ex } of runs) {
        // Every check judges these exchanges: none fails on a client that hung up on purpose.
        expect(ex.verdicts, id).toEqual([]);
        if (id === "json.retry_after_wait") continue; // the reference answers before its client's moment
        expect(ex.evaluated, id).toContain("DISC-001");
        const left = ex.exchange.clientLeft!;
        const closed = ex.exchange.journal!.filter((e) => e.closedAt !== undefined);
        expect(closed.length, id).toBeGreaterThan(0);
        for (const e of closed) expect(e.closedAt! - left.at, id).toBeLessThan(1_000);
      }
    } finally {
      await s.close();
    }
  }, 60_000);

  it("a gateway that closes 1.5 s after its client left passes; 3 s after, it fails", async () => {
    const s = await stack({ attemptTimeoutMs: 10_000, deadlineMs: 20_000 });
    const slow = await lateCloser(s.gw.url, 1_500);
    const slower = await lateCloser(s.gw.url, 3_000);
    try {
      const ctx = contextFor(slow.url, s.mock.url);
      for (const { id, ex } of await runAll(ctx, situations(ctx, NO_FAILOVER_BAIT))) {
        expect(ex.evaluated, id).toContain("DISC-001");
        expect(
          ex.verdicts.filter((v) => v.checkId === "DISC-001"),
          id,
        ).toEqual([]);
        const left = ex.exchange.clientLeft!;
        const alpha = ex.exchange.journal!.find((e) => e.provider === "alpha")!;
        expect(alpha.closedAt! - left.at, id).toBeGreaterThanOrEqual(1_400);
      }
      const late = contextFor(slower.url, s.mock.url);
      const [r] = await runAll(late, situations(late, ["json.hang"]));
      const v = r!.ex.verdicts.find((x) => x.checkId === "DISC-001");
      expect(v?.received).toMatch(/alpha#1 \(hang\) (still open|closed) \d+ ms after the client left/);
    } finally {
      await slow.close();
      await slower.close();
      await s.close();
    }
  }, 60_000);

  it("the property passes in a built-in run (the reference gateway with its short timeouts)", async () => {
    const out = await runHarness({
      profile: "lumenfall",
      seed: 5,
      runs: 3,
      quiet: true,
      report: join(dir, "reference"),
      only: ["DISC-001"],
    });
    const disc = out.result!.checks.find((c) => c.id === "DISC-001")!;
    expect(disc.outcome, out.output).toBe("pass");
    expect(disc.evaluated).toBeGreaterThanOrEqual(4);
  }, 90_000);

  it("catches the mutant that ignores its client's disconnect and fails over for nobody", async () => {
    const out = await runHarness({
      profile: "lumenfall",
      seed: 5,
      runs: 3,
      quiet: true,
      report: join(dir, "mutant"),
      only: ["DISC-001"],
      defect: ["client_gone_ignored"],
      strict: true, // DISC-001 is a should: only --strict fails the run on it
    });
    const disc = out.result!.checks.find((c) => c.id === "DISC-001")!;
    expect(disc.outcome, out.output).toBe("fail");
    const received = disc.violations.map((v) => v.received).join("\n");
    expect(received).toMatch(/the gateway started \w+#1 \(\w+\) \d+ ms after/);
    expect(out.exitCode).toBe(1);
    // The case file keeps the moment the client hangs up: it replays against the defect and the reference.
    const cases = join(dir, "mutant", "cases");
    const file = join(cases, readdirSync(cases).find((f) => f.includes("DISC-001"))!);
    const still = await replayCase(file, { defect: ["client_gone_ignored"] }, {});
    expect(still.output).toContain("STILL FAILING");
    const fixed = await replayCase(file, {}, {});
    expect(fixed.output).toContain("FIXED");
  }, 90_000);

  it("with a gateway's usual attempt timeout, the mutant's attempts outlive the client by more than 2 s", async () => {
    const s = await stack({ attemptTimeoutMs: 5_000, deadlineMs: 20_000, defects: ["client_gone_ignored"] });
    try {
      const ctx = contextFor(s.gw.url, s.mock.url);
      const [r] = await runAll(ctx, situations(ctx, ["stream.after_first_event"]));
      const v = r!.ex.verdicts.find((x) => x.checkId === "DISC-001");
      expect(v?.received).toMatch(/alpha#1 \(slow_stream\) still open \d+ ms after the client left/);
    } finally {
      await s.close();
    }
  }, 60_000);
});
