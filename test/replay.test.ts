import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import { startGateway } from "../gateway/index.ts";
import { DEFAULT_PROVIDERS } from "../mocks/engine.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { startBuiltin } from "../node/builtin.ts";
import { replayCase } from "../scripts/cli/replay.ts";
import { runHarness } from "../scripts/cli/run.ts";
import { closeHttp } from "../suites/harness/http.ts";
import { chatRequest } from "../suites/harness/requests.ts";
import type { CaseSpec } from "../suites/harness/types.ts";
import { curlsFor } from "../suites/report/curl.ts";
import { bash, close, hangingGateway, listen } from "./helpers/tiny-gateways.ts";

// Replay says FIXED only on a live gateway's judged answer; a printed command runs as pasted, secrets as
// environment variables.
const dir = mkdtempSync(join(tmpdir(), "faultline-replay-"));
let mock: MockServer;
let caseFile: string;

beforeAll(async () => {
  mock = await startMock({ providers: DEFAULT_PROVIDERS });
  const report = join(dir, "builtin");
  await runHarness(
    {
      profile: "lumenfall",
      defect: ["content_policy_failover"],
      seed: 3,
      runs: 5,
      quiet: true,
      report,
      only: ["UPS-002"],
    },
    {},
  );
  caseFile = join(report, "cases", readdirSync(join(report, "cases"))[0]!);
});
afterAll(async () => {
  await mock.close();
  await closeHttp();
  rmSync(dir, { recursive: true, force: true });
});

describe.concurrent("faultline replay", () => {
  it("a gateway that is down: COULD NOT RUN, exit 2, never FIXED", async () => {
    const server = hangingGateway();
    const url = await listen(server);
    await close(server);
    const r = await replayCase(caseFile, { gateway: url, mock: mock.url, apiKey: "k" }, {});
    expect(r.verdict).toBe("COULD NOT RUN");
    expect(r.exitCode).toBe(2);
    expect(r.output).toMatch(/COULD NOT RUN \(gateway http:\/\/127\.0\.0\.1:\d+ down: ECONNREFUSED/);
  });

  it("a gateway that hangs: COULD NOT RUN within the deadline", async () => {
    const server = hangingGateway();
    const url = await listen(server);
    try {
      const started = Date.now();
      const r = await replayCase(
        caseFile,
        { gateway: url, mock: mock.url, apiKey: "k", deadlineMs: 500 },
        {},
      );
      expect(r.exitCode).toBe(2);
      expect(r.output).toContain("COULD NOT RUN (gateway");
      expect(r.output).toContain("hangs: no HTTP answer within 2500 ms");
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await close(server);
    }
  });

  it("without --api-key takes FAULTLINE_API_KEY, and names it when it is missing", async () => {
    await expect(replayCase(caseFile, { gateway: "http://127.0.0.1:9", mock: mock.url }, {})).rejects.toThrow(
      "the case sends the client key: set FAULTLINE_API_KEY (or pass --api-key)",
    );
  });

  it("the curl of an upstream case registers its plan first and gets the gateway's answer", async () => {
    const b = await startBuiltin(loadProfile("lumenfall"));
    try {
      const t = b.target;
      const c: CaseSpec = {
        property: "upstream.failover",
        condition: "upstream.failover",
        request: chatRequest(loadProfile("lumenfall"), t, { text: "hello", withMarker: true }),
        plan: { providers: { alpha: ["server_error"], beta: ["ok"] } },
      };
      const lines = curlsFor(t, c, false);
      expect(lines.join("\n")).not.toContain("{{faultline.marker}}");
      expect(lines.join("\n")).not.toContain(t.apiKey);
      const r = await bash(lines.join("\n"), { FAULTLINE_API_KEY: t.apiKey });
      expect(r.stdout).toMatch(/^HTTP\/1\.1 200/m);
      expect(r.stdout).toContain("Hello from beta (");
    } finally {
      await b.close();
    }
  });
});

describe("after a run with --profile FILE against a gateway of one's own", () => {
  it("the printed replay and rerun commands run as pasted", async () => {
    const profileFile = join(dir, "my-gateway.yaml");
    writeFileSync(profileFile, "extends: lumenfall\nname: my-gateway\n");
    const own = await startMock({ providers: DEFAULT_PROVIDERS });
    const gw = await startGateway({
      profile: loadProfile(profileFile),
      upstreams: DEFAULT_PROVIDERS.map((p) => ({ name: p.name, baseUrl: own.providerUrl(p.name) })),
      apiKeys: ["sk-my-own-key-42"],
      attemptTimeoutMs: 250,
      deadlineMs: 2_000,
      defects: ["content_policy_failover"],
    });
    try {
      const out = await runHarness(
        {
          profile: profileFile,
          gateway: gw.url,
          mock: own.url,
          apiKey: "sk-my-own-key-42",
          model: "faultline-chat",
          seed: 5,
          runs: 5,
          only: ["UPS-002"],
          quiet: true,
          report: join(dir, "own"),
        },
        {},
      );
      expect(out.exitCode).toBe(1);
      expect(out.output).not.toContain("sk-my-own-key-42");
      const v = out.result!.checks.find((c) => c.id === "UPS-002")!.violations[0]!;
      const caseText = readFileSync(v.caseFile!, "utf8");
      expect(caseText).not.toContain("sk-my-own-key-42");
      expect(JSON.parse(caseText).profileContents.name).toBe("my-gateway");
      const rerun = out.output.split("\n").find((l) => l.includes("npx faultline run"))!;
      expect(rerun).not.toContain("…");
      expect(rerun).toContain(`--gateway ${gw.url} --mock ${own.url} --api-key "$FAULTLINE_API_KEY"`);
      expect(rerun).toContain(
        `--profile ${profileFile} --model faultline-chat --runs 5 --seed 5 --only UPS-002`,
      );

      expect(v.replay).toMatch(/^npx faultline replay /);
      const still = await bash(v.replay!, { FAULTLINE_API_KEY: "sk-my-own-key-42" }, 90_000);
      expect(still.stdout + still.stderr).toContain("STILL FAILING");
      expect(still.code).toBe(1);
      const missing = await bash(v.replay!, {}, 90_000);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("FAULTLINE_API_KEY");
    } finally {
      await gw.close();
      await own.close();
    }
  }, 150_000);
});
