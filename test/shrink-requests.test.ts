import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import type { Check } from "../suites/checks/registry.ts";
import type { RunContext } from "../suites/harness/context.ts";
import { withHttpPool } from "../suites/harness/http.ts";
import type { Suite } from "../suites/harness/property.ts";
import { runSuites } from "../suites/harness/runner.ts";
import type { CaseSpec } from "../suites/harness/types.ts";
import { resolveTarget } from "../suites/target.ts";

// The last failing execution is the counterexample: after shrinking, nothing is sent to the gateway again.
// A real gateway counts the cases it is sent; fast-check, run on its own with the property's seed and the
// same predicate, counts the executions the harness asks for. The two must agree exactly.

const RUNS = 30;
const LIMIT = 10;
const CHAT = "/v1/chat/completions";

/** Numbers the gateway was sent, in order (POSTs to the chat path only: no probe or model listing). */
const sent: number[] = [];
let server: Server;
let gateway = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      if (req.method === "POST" && req.url === CHAT) sent.push((JSON.parse(body) as { n: number }).n);
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"id":"x","choices":[]}');
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const numberOf = (c: CaseSpec) => (JSON.parse(c.request.body ?? "{}") as { n: number }).n;

/** A check handed to the runner (not registered): a number from LIMIT up is a violation. */
const small: Check = {
  id: "TEST-001",
  level: "must",
  title: "numbers stay small",
  sentence: `The gateway is sent numbers below ${LIMIT}.`,
  source: "test/shrink-requests.test.ts",
  fix: "none: this check exists for the test",
  applies: (j) => j.exchange.status !== undefined,
  judge: (j) =>
    numberOf(j.case) < LIMIT ? undefined : { expected: `below ${LIMIT}`, received: String(numberOf(j.case)) },
};

const numbers = fc.integer({ min: 0, max: 100 });

function suiteOf(check: Check): Suite {
  return {
    id: "count",
    title: "counting",
    properties: [
      {
        id: "count.numbers",
        suite: "count",
        title: "numbers",
        perFamily: false,
        needsMock: false,
        checks: [check.id],
        arbitrary: () =>
          numbers.map(
            (n): CaseSpec => ({
              property: "count.numbers",
              condition: "request.valid",
              request: {
                method: "POST",
                path: CHAT,
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ n }),
              },
            }),
          ),
      },
    ],
  };
}

function context(): RunContext {
  const profile = loadProfile("lumenfall");
  const target = resolveTarget({ gateway, apiKey: "sk-count-0123456789", model: "faultline-chat" }, {});
  return { profile, target, seed: 77, runs: RUNS, harnessDeadlineMs: 10_000, providers: [] };
}

/** What fast-check executes for the harness: the generation run, then shrinking from the first failure's path. */
async function fastCheckExecutions(
  seed: number,
): Promise<{ generation: number; shrinking: number; min: number }> {
  const seen: number[] = [];
  await fc.check(
    fc.asyncProperty(numbers, async (n) => {
      seen.push(n);
      return true;
    }),
    { seed, numRuns: RUNS },
  );
  const first = seen.findIndex((n) => n >= LIMIT);
  expect(first, "the seed draws a failing number").toBeGreaterThanOrEqual(0);
  let shrinking = 0;
  const out = await fc.check(
    fc.asyncProperty(numbers, async (n) => {
      shrinking++;
      return n < LIMIT;
    }),
    { seed, numRuns: RUNS, path: String(first) },
  );
  return { generation: seen.length, shrinking, min: out.counterexample![0] };
}

describe("shrinking keeps the last failing execution", () => {
  it("the gateway receives fast-check's executions less one: the first value at the path is not sent again, nor the counterexample after", async () => {
    sent.length = 0;
    const r = await withHttpPool(() => runSuites([suiteOf(small)], context(), { checks: [small] }));
    const outcome = r.properties[0]!;
    expect(outcome.status).toBe("failed");
    const model = await fastCheckExecutions(outcome.seed);
    expect(model.shrinking).toBeGreaterThan(1);
    expect(outcome.executed).toBe(RUNS);
    expect(sent).toHaveLength(model.generation + model.shrinking - 1);
    const v = r.checks.find((c) => c.id === "TEST-001")!.violations[0]!;
    expect(v.shrunk).toBe(true);
    expect(numberOf(v.case)).toBe(model.min);
    expect(model.min).toBe(LIMIT);
    // The recorded answer is the one the gateway gave to that very case: the last time it was sent.
    expect(sent.lastIndexOf(model.min)).toBeGreaterThanOrEqual(RUNS);
  });

  it("a check that throws is the property's error, told by structure, never a failed case to shrink", async () => {
    sent.length = 0;
    const throwing: Check = {
      ...small,
      id: "TEST-002",
      judge: () => {
        throw new Error("this check is broken");
      },
    };
    const r = await withHttpPool(() => runSuites([suiteOf(throwing)], context(), { checks: [throwing] }));
    expect(r.properties[0]).toMatchObject({ status: "error", reason: "this check is broken", executed: 0 });
    expect(r.checks.find((c) => c.id === "TEST-002")!.violations).toEqual([]);
    // One case was sent, then the property stopped: no shrinking of a harness error.
    expect(sent).toHaveLength(1);
  });
});
