import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../core/errors.ts";
import { loadProfile } from "../core/profile/load.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { runHarness } from "../scripts/cli/run.ts";
import { curlFor } from "../suites/report/curl.ts";
import {
  effectiveProfile,
  NO_CLIENT_KEY,
  parseHeaderFlag,
  resolveTarget,
  type Target,
  targetSecrets,
} from "../suites/target.ts";
import { renderTarget, renderTemplate } from "../suites/templates.ts";

const base: Target = { gateway: "http://127.0.0.1:9", apiKey: "k-client", model: "gpt-4o-mini", headers: {} };
const mockInfo = { url: "http://127.0.0.1:4010", providers: ["alpha", "beta", "gamma"] };

describe("templates", () => {
  it("fills dotted names, with or without spaces inside the braces", () => {
    const vars = { mock: { url: "http://m", providers: { alpha: "http://m/alpha/v1" } } };
    expect(renderTemplate('{"h":"{{mock.providers.alpha}}","u":"{{ mock.url }}"}', vars, "x")).toBe(
      '{"h":"http://m/alpha/v1","u":"http://m"}',
    );
  });

  it("names an unknown variable, where it is, and every known one", () => {
    const render = () =>
      renderTemplate("{{mock.providers.delta}}", { mock: { providers: { alpha: "a" } } }, "headers.x");
    expect(render).toThrow(UsageError);
    expect(render).toThrow(
      'unknown template variable "{{mock.providers.delta}}" in headers.x; known variables: mock.providers.alpha',
    );
  });

  it("says the mock is missing when a mock.* variable is used without one", () => {
    const t = { ...base, headers: { x: "{{mock.providers.alpha}}" } };
    expect(() => renderTarget(t, undefined)).toThrow(/give --mock URL/);
  });

  it("renders provider URLs by dialect and an upstream key per provider, keeping configured ones", () => {
    const t: Target = {
      ...base,
      upstreamKeys: { beta: "sk-beta-configured" },
      headers: {
        "x-portkey-config":
          '[{"custom_host":"{{mock.providers.alpha}}","api_key":"{{upstreamKey.alpha}}"},"{{upstreamKey.beta}}","{{mock.providers.gamma}}"]',
        plain: "no templates here",
      },
    };
    const r = renderTarget(t, { ...mockInfo, dialects: { gamma: "anthropic" } });
    expect(JSON.parse(r.headers["x-portkey-config"]!)).toEqual([
      { custom_host: "http://127.0.0.1:4010/alpha/v1", api_key: "sk-faultline-upstream-alpha" },
      "sk-beta-configured",
      "http://127.0.0.1:4010/gamma",
    ]);
    expect(r.headers.plain).toBe("no templates here");
    expect(targetSecrets(r)).toEqual(
      expect.arrayContaining(["k-client", "sk-faultline-upstream-alpha", "sk-beta-configured"]),
    );
  });

  it("leaves a target without templates untouched", () => {
    const t = { ...base, headers: { a: "b" } };
    expect(renderTarget(t, mockInfo)).toBe(t);
  });
});

describe("target fields beyond a URL", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "faultline-target-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("auth: none needs no client key and carries a placeholder, so every property can still build requests", () => {
    const file = join(dir, "none.yaml");
    writeFileSync(file, "gateway: http://127.0.0.1:9\nmodel: m\nauth: none\n");
    const t = resolveTarget({ config: file }, {});
    expect(t.auth).toBe("none");
    expect(t.apiKey).toBe(NO_CLIENT_KEY);
    expect(() => resolveTarget({ gateway: "http://127.0.0.1:9", model: "m" }, {})).toThrow(/apiKey/);
  });

  it("--header flags win over the config file's headers, name by name", () => {
    const file = join(dir, "headers.yaml");
    writeFileSync(
      file,
      "gateway: http://127.0.0.1:9\napiKey: k\nmodel: m\nheaders: {X-Keep: a, X-Over: b}\n",
    );
    const headers = Object.fromEntries(["x-over: c", "x-new:  d:e "].map(parseHeaderFlag));
    expect(resolveTarget({ config: file, headers }, {}).headers).toEqual({
      "X-Keep": "a",
      "x-over": "c",
      "x-new": "d:e",
    });
    expect(() => parseHeaderFlag("no colon")).toThrow('--header: expected "name: value", saw "no colon"');
  });

  it("chatPath (flag, env or config) replaces the profile's chat path", () => {
    const t = resolveTarget(
      { gateway: "http://127.0.0.1:9", apiKey: "k", model: "m" },
      { FAULTLINE_CHAT_PATH: "/p1/openai/v1/chat/completions" },
    );
    const p = effectiveProfile(loadProfile("openai-compatible"), t);
    expect(p.endpoints.chat.path).toBe("/p1/openai/v1/chat/completions");
    expect(() =>
      resolveTarget({ gateway: "http://127.0.0.1:9", apiKey: "k", model: "m", chatPath: "relative" }, {}),
    ).toThrow(/chatPath/);
  });

  it("curl reproductions refer to upstream keys by environment variable", () => {
    const t = {
      ...base,
      upstreamKeys: { alpha: "sk-up-alpha" },
      headers: { "x-cfg": '{"api_key":"sk-up-alpha"}' },
    };
    const curl = curlFor(t, { method: "POST", path: "/v1/chat/completions", headers: t.headers, body: "{}" });
    expect(curl).not.toContain("sk-up-alpha");
    expect(curl).toContain("$FAULTLINE_UPSTREAM_KEY_ALPHA");
  });
});

/**
 * A gateway that needs more than a URL: no client authentication, chat at a project path, and its upstream
 * chosen by a header. It forwards to the provider the header names, with the key the header carries.
 */
function projectGateway(seen: Array<{ path: string; upstream?: string }>): Server {
  const read = async (req: IncomingMessage) => {
    let body = "";
    for await (const c of req) body += c;
    return body;
  };
  return createServer(async (req, res) => {
    const body = await read(req);
    const upstream = req.headers["x-upstream"] as string | undefined;
    seen.push({ path: req.url ?? "", upstream });
    if (req.method !== "POST" || req.url !== "/proj/openai/v1/chat/completions" || !upstream) {
      res
        .writeHead(404, { "content-type": "application/json" })
        .end('{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}');
      return;
    }
    const { url, key } = JSON.parse(upstream) as { url: string; key: string };
    try {
      const r = await fetch(`${url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body,
        signal: AbortSignal.timeout(2_000),
      });
      const text = await r.text();
      res.writeHead(r.status, { "content-type": "application/json" }).end(text);
    } catch {
      res
        .writeHead(502, { "content-type": "application/json" })
        .end('{"error":{"message":"upstream failed","type":"server_error","param":null,"code":null}}');
    }
  });
}

describe("a target that needs more than a URL, end to end", () => {
  let mock: MockServer;
  let gateway: Server;
  let gatewayUrl: string;
  let dir: string;
  const seen: Array<{ path: string; upstream?: string }> = [];

  beforeAll(async () => {
    mock = await startMock({});
    gateway = projectGateway(seen);
    await new Promise<void>((r) => gateway.listen(0, "127.0.0.1", () => r()));
    gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), "faultline-project-"));
  });
  afterAll(async () => {
    gateway.closeAllConnections();
    await new Promise<void>((r) => gateway.close(() => r()));
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("renders the header once the mock is known, uses the chat path, and reports auth: none as REJ-001", async () => {
    const outcome = await runHarness(
      {
        gateway: gatewayUrl,
        mock: mock.url,
        profile: "openai-compatible",
        model: "gpt-4o-mini",
        auth: "none",
        chatPath: "/proj/openai/v1/chat/completions",
        header: ['x-upstream: {"url":"{{mock.providers.alpha}}","key":"{{upstreamKey.alpha}}"}'],
        only: ["REJ-001"],
        runs: 4,
        seed: 7,
        report: join(dir, "report"),
        quiet: true,
      },
      {},
    );
    const rej = outcome.result?.checks.find((c) => c.id === "REJ-001");
    expect(rej?.outcome, outcome.output).toBe("fail");
    expect(outcome.result?.properties.filter((p) => p.status === "error")).toEqual([]);
    expect(outcome.exitCode).toBe(1);
    const chat = seen.filter((s) => s.path === "/proj/openai/v1/chat/completions");
    expect(chat.length).toBeGreaterThan(0);
    expect(JSON.parse(chat[0]!.upstream!)).toEqual({
      url: `${mock.url}/alpha/v1`,
      key: "sk-faultline-upstream-alpha",
    });
    expect(outcome.output).toContain("auth: none");
  });
});
