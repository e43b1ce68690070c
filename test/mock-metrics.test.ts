// `/_faultline/metrics`: the Prometheus text format from prom-client, read from the counters the hot
// path keeps: requests, answers by step and status, refusals, journal drops, active plans.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMock } from "../mocks/server.ts";

let m: MockServer;
beforeAll(async () => {
  m = await startMock({
    journal: { maxEntries: 3 },
    limits: { maxRequestBytes: 2048 },
    token: "metrics-token-0123456789",
  });
});
afterAll(() => m.close());

async function chat(marker: string, content = "hi"): Promise<number> {
  const res = await fetch(`${m.url}/alpha/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `${content} ${marker}` }],
    }),
    signal: AbortSignal.timeout(5_000),
  });
  await res.arrayBuffer();
  return res.status;
}

/** The value of one sample, by its full name with labels as Prometheus prints them. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /_faultline/metrics", () => {
  it("counts requests, answers by step and status, refusals, drops and plans, without the token", async () => {
    const res = await fetch(`${m.url}/_faultline/plans`, {
      method: "POST",
      headers: { authorization: "Bearer metrics-token-0123456789" },
      body: JSON.stringify({ providers: { alpha: ["rate_limit", "rate_limit", "ok"] } }),
      signal: AbortSignal.timeout(5_000),
    });
    const { marker } = (await res.json()) as { marker: string };
    expect([await chat(marker), await chat(marker), await chat(marker), await chat(marker)]).toEqual([
      429, 429, 200, 200,
    ]);
    expect(await chat("", "x".repeat(3000))).toBe(413);

    const scrape = await fetch(`${m.url}/_faultline/metrics`, { signal: AbortSignal.timeout(5_000) });
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await scrape.text();
    expect(text).toContain("# TYPE faultline_mock_answers_total counter");
    expect(sample(text, 'faultline_mock_requests_total{provider="alpha"}')).toBe(5);
    expect(sample(text, 'faultline_mock_requests_total{provider="beta"}')).toBe(0);
    expect(
      sample(
        text,
        'faultline_mock_answers_total{provider="alpha",step="rate_limit",status="429",outcome="answered"}',
      ),
    ).toBe(2);
    expect(
      sample(
        text,
        'faultline_mock_answers_total{provider="alpha",step="ok",status="200",outcome="answered"}',
      ),
    ).toBe(2);
    expect(
      sample(
        text,
        'faultline_mock_answers_total{provider="alpha",step="refused",status="413",outcome="answered"}',
      ),
    ).toBe(1);
    expect(sample(text, 'faultline_mock_refusals_total{limit="maxRequestBytes"}')).toBe(1);
    // Five entries into a journal that keeps three.
    expect(sample(text, "faultline_mock_journal_dropped_total")).toBe(2);
    expect(sample(text, "faultline_mock_journal_entries")).toBe(3);
    expect(sample(text, "faultline_mock_plans_active")).toBe(1);
    // The process's own figures come along (prom-client's default metrics).
    expect(text).toContain("process_resident_memory_bytes");
  });

  it("keeps counting across scrapes and a reset: counters never go down", async () => {
    const before = await (await fetch(`${m.url}/_faultline/metrics`)).text();
    const reset = await fetch(`${m.url}/_faultline/reset`, {
      method: "POST",
      headers: { authorization: "Bearer metrics-token-0123456789" },
    });
    expect(reset.status).toBe(200);
    await chat("");
    const after = await (await fetch(`${m.url}/_faultline/metrics`)).text();
    const series = 'faultline_mock_requests_total{provider="alpha"}';
    expect(sample(after, series)).toBe(sample(before, series)! + 1);
    expect(sample(after, "faultline_mock_journal_dropped_total")).toBe(
      sample(before, "faultline_mock_journal_dropped_total"),
    );
    expect(sample(after, "faultline_mock_plans_active")).toBe(0);
  });
});
