import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import { type GatewayOptions, startGateway } from "../gateway/index.ts";
import { DEFAULT_PROVIDERS } from "../mocks/engine.ts";
import { startMock } from "../mocks/server.ts";
import { runHarness } from "../scripts/cli/run.ts";
import { closeHttp } from "../suites/harness/http.ts";
import { junitErrors } from "./helpers/junit.ts";
import { close, listen, markerStrippingGateway, selfAnsweringGateway } from "./helpers/tiny-gateways.ts";

// A setup that cannot exercise the gateway is named as such, with the one thing that fixes it, and is
// never judged as the gateway's contract: exit 2, no PASS/FAIL, a setup report for CI.
const dir = mkdtempSync(join(tmpdir(), "faultline-setup-"));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await closeHttp();
});
const profile = loadProfile("lumenfall");

/** The mock with its default models, and a reference gateway in front of it. */
async function stack(gateway: Partial<GatewayOptions> = {}) {
  const mock = await startMock({ providers: DEFAULT_PROVIDERS });
  const gw = await startGateway({
    profile,
    upstreams: DEFAULT_PROVIDERS.map((p) => ({ name: p.name, baseUrl: mock.providerUrl(p.name) })),
    attemptTimeoutMs: 250,
    deadlineMs: 2_000,
    ...gateway,
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

function reportOf(name: string) {
  const report = join(dir, name);
  return {
    report,
    json: () => JSON.parse(readFileSync(join(report, "report.json"), "utf8")),
    junit: () => readFileSync(join(report, "junit.xml"), "utf8"),
  };
}

describe.concurrent("preflight names a broken setup instead of judging the gateway", () => {
  it("a gateway that forwards its own model name to a mock that does not serve it", async () => {
    const s = await stack({ models: ["fl-test-model"], upstreamModel: "fl-test-model" });
    const r = reportOf("unserved");
    try {
      const out = await runHarness(
        {
          profile: "lumenfall",
          gateway: s.gw.url,
          mock: s.mock.url,
          apiKey: "fl-test-key",
          model: "fl-test-model",
          quiet: true,
          report: r.report,
        },
        {},
      );
      expect(out.exitCode).toBe(2);
      expect(out.output).toContain('setup.model_refused: the gateway sent model "fl-test-model"');
      expect(out.output).toContain(
        `npx faultline mock --port ${new URL(s.mock.url).port} --models fl-test-model`,
      );
      expect(out.output).not.toMatch(/FAIL (FO|EXH|UPS|STR)-/);
      expect(r.json().setup[0].id).toBe("setup.model_refused");
      expect(r.json().checks).toEqual([]);
      expect(await junitErrors(r.junit())).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("a wrong chat path: every request 404s", async () => {
    const r = reportOf("path");
    const out = await runHarness(
      { profile: "lumenfall", chatPath: "/v1/chat/nope", quiet: true, report: r.report },
      {},
    );
    expect(out.exitCode).toBe(2);
    expect(out.output).toContain("setup.path: POST /v1/chat/nope answered 404");
    expect(out.output).toContain("--chat-path PATH");
    expect(out.output).not.toMatch(/PASS (REJ|DL|ROUTE|TRN)-/);
    expect(r.json().setup[0].id).toBe("setup.path");
  });

  it("a model the gateway answers without asking the mock", async () => {
    const mock = await startMock({ providers: DEFAULT_PROVIDERS });
    const server = selfAnsweringGateway();
    const url = await listen(server);
    const r = reportOf("unrouted");
    try {
      const out = await runHarness(
        {
          profile: "lumenfall",
          gateway: url,
          mock: mock.url,
          apiKey: "k",
          model: "faultline-chat",
          quiet: true,
          report: r.report,
        },
        {},
      );
      expect(out.exitCode).toBe(2);
      expect(out.output).toContain('for model "faultline-chat" without asking the mock');
      expect(out.output).toContain(
        `Fix: route model faultline-chat to the mock's providers alpha, beta, gamma in that order (${mock.url}/alpha/v1,`,
      );
      expect(out.output).not.toContain("PASS DL-001");
      expect(r.json().setup[0].id).toBe("setup.unrouted");
    } finally {
      await close(server);
      await mock.close();
    }
  });

  it("a gateway that tries the mock's providers in another order", async () => {
    const mock = await startMock({ providers: DEFAULT_PROVIDERS });
    const gw = await startGateway({
      profile,
      upstreams: ["gamma", "beta", "alpha"].map((name) => ({ name, baseUrl: mock.providerUrl(name) })),
      attemptTimeoutMs: 250,
      deadlineMs: 2_000,
    });
    try {
      const out = await runHarness(
        {
          profile: "lumenfall",
          gateway: gw.url,
          mock: mock.url,
          apiKey: "fl-test-key",
          model: "faultline-chat",
          quiet: true,
          report: join(dir, "order"),
        },
        {},
      );
      expect(out.exitCode).toBe(2);
      expect(out.output).toContain(
        "setup.order: the gateway tried the mock's providers in the order gamma (alpha and beta set to fail, gamma to answer); the mock lists them as alpha → beta → gamma",
      );
    } finally {
      await gw.close();
      await mock.close();
    }
  });

  it("a gateway that strips the plan marker from the prompt", async () => {
    const mock = await startMock({ providers: DEFAULT_PROVIDERS });
    const server = markerStrippingGateway(mock.providerUrl("alpha"));
    const url = await listen(server);
    try {
      const out = await runHarness(
        {
          profile: "lumenfall",
          gateway: url,
          mock: mock.url,
          apiKey: "k",
          model: "gpt-4o-mini",
          quiet: true,
          report: join(dir, "marker"),
        },
        {},
      );
      expect(out.exitCode).toBe(2);
      expect(out.output).toContain(
        "setup.marker: the mock saw 1 request(s) from the gateway, none carrying the plan marker",
      );
    } finally {
      await close(server);
      await mock.close();
    }
  });

  it("a mock that is not there", async () => {
    const mock = await startMock({ providers: DEFAULT_PROVIDERS });
    const gone = mock.url;
    await mock.close();
    const r = reportOf("mock-down");
    const out = await runHarness(
      {
        profile: "lumenfall",
        gateway: "http://127.0.0.1:9",
        mock: gone,
        apiKey: "k",
        model: "m",
        quiet: true,
        report: r.report,
      },
      {},
    );
    expect(out.exitCode).toBe(2);
    expect(out.output).toContain("setup.mock_down");
    expect(r.json().setup[0].id).toBe("setup.mock_down");
  });
});

describe("request shape", () => {
  it("a gateway that needs Accept: application/json passes preflight and is reported as SHAPE-001, not a failover failure", async () => {
    const s = await stack({ defects: ["accept_required"] });
    try {
      const out = await runHarness(
        {
          profile: "lumenfall",
          gateway: s.gw.url,
          mock: s.mock.url,
          apiKey: "fl-test-key",
          model: "faultline-chat",
          seed: 4,
          runs: 10,
          strict: true,
          only: ["SHAPE-001", "FO-001", "EXH-*"],
          quiet: true,
          report: join(dir, "accept"),
        },
        {},
      );
      expect(out.exitCode, out.output).toBe(1);
      const outcome = (id: string) => out.result?.checks.find((c) => c.id === id)?.outcome;
      expect(outcome("SHAPE-001")).toBe("fail");
      expect(outcome("FO-001")).toBe("pass");
      expect(outcome("EXH-001")).toBe("pass");
      expect(out.output).toMatch(/Received: 502 .* — sent (without accept|with accept: )/);
    } finally {
      await s.close();
    }
  });

  it("sends what the official SDKs send on every generated request", async () => {
    const seen: Array<Record<string, string | string[] | undefined>> = [];
    const server = selfAnsweringGateway((req) => seen.push(req.headers));
    const url = await listen(server);
    try {
      await runHarness(
        {
          profile: "lumenfall",
          gateway: url,
          apiKey: "k",
          model: "m",
          runs: 3,
          only: ["REJ-001"],
          quiet: true,
          report: join(dir, "sdk"),
        },
        {},
      );
      const chats = seen.filter((h) => h["content-type"] === "application/json");
      expect(chats.length).toBeGreaterThan(3);
      for (const h of chats) {
        expect(h.accept).toBe("application/json");
        expect(h["user-agent"]).toMatch(/^faultline\//);
      }
    } finally {
      await close(server);
    }
  });
});

describe("the first console line of a built-in run says so", () => {
  it("names the built-in reference gateway when no gateway is given at all", async () => {
    const out = await runHarness(
      { profile: "lumenfall", only: ["ROUTE-001"], runs: 3, quiet: true, report: join(dir, "builtin") },
      {},
    );
    expect(out.output.split("\n")[0]).toMatch(
      /^faultline: no gateway given .* running the built-in reference gateway/,
    );
    expect(out.exitCode).toBe(0);
  });
});
