// The benchmark's load generator, forked into its own process: on the same event loop as the server
// it would steal the very CPU it measures. undici's Pool with a bounded number of connections keeps
// the client cheap and the connection count fixed.
import { Pool } from "undici";
import type {
  BurstJob,
  BurstResult,
  LoadJob,
  LoadResult,
  Target,
  ThroughputJob,
  ThroughputResult,
} from "./protocol.ts";
import { round, summarise } from "./stats.ts";

/** The next of a target's bodies, in turn; a target with one body sends it every time. */
let turn = 0;
const bodyOf = (t: Target) => (t.bodies ? t.bodies[turn++ % t.bodies.length] : t.body);

async function once(pool: Pool, t: Target, path: string): Promise<{ status: number; bytes: number }> {
  const res = await pool.request({
    path,
    method: t.method as "GET" | "POST",
    headers: t.headers,
    body: bodyOf(t),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Buffer).length;
  return { status: res.statusCode, bytes };
}

async function throughput(job: ThroughputJob): Promise<ThroughputResult> {
  const url = new URL(job.target.url);
  const pool = new Pool(url.origin, {
    connections: job.connections,
    pipelining: 1,
    keepAliveTimeout: 10_000,
  });
  const path = url.pathname + url.search;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let bytes = 0;
  let measuring = false;
  let stop = false;
  let total = 0;
  const worker = async () => {
    while (!stop) {
      const t0 = performance.now();
      try {
        total++;
        const r = await once(pool, job.target, path);
        if (measuring) {
          latencies.push(performance.now() - t0);
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          bytes += r.bytes;
        }
      } catch {
        if (measuring) errors++;
      }
    }
  };
  const workers = Array.from({ length: job.connections }, worker);
  await new Promise((r) => setTimeout(r, job.warmupMs));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, job.durationMs));
  measuring = false;
  const elapsedMs = performance.now() - t0;
  stop = true;
  await Promise.all(workers);
  await pool.close();
  return {
    kind: "throughput",
    requests: latencies.length,
    totalRequests: total,
    errors,
    statuses,
    elapsedMs: round(elapsedMs),
    reqPerS: round((latencies.length / elapsedMs) * 1000, 0),
    bytesPerRequest: latencies.length ? Math.round(bytes / latencies.length) : 0,
    latencyMs: summarise(latencies),
  };
}

async function burst(job: BurstJob): Promise<BurstResult> {
  const url = new URL(job.target.url);
  const pool = new Pool(url.origin, {
    connections: job.concurrency,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const path = url.pathname + url.search;
  const latencies: number[] = [];
  const roundWallMs: number[] = [];
  let errors = 0;
  let measuredFrom = 0;
  for (let round = 0; round <= job.rounds; round++) {
    const warm = round === 0;
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: job.concurrency }, async () => {
        const s = performance.now();
        try {
          await once(pool, job.target, path);
          return performance.now() - s;
        } catch {
          return -1;
        }
      }),
    );
    if (warm) {
      measuredFrom = performance.timeOrigin + performance.now();
      continue;
    }
    roundWallMs.push(Math.round((performance.now() - t0) * 100) / 100);
    for (const l of results) {
      if (l < 0) errors++;
      else latencies.push(l);
    }
  }
  await pool.close();
  return {
    kind: "burst",
    requests: latencies.length,
    totalRequests: (job.rounds + 1) * job.concurrency,
    errors,
    roundWallMs,
    measuredFrom,
    latencyMs: summarise(latencies),
  };
}

process.on("message", async (job: LoadJob) => {
  const result: LoadResult = job.kind === "throughput" ? await throughput(job) : await burst(job);
  process.send?.(result);
});

// Forked by a bench script: when it goes (finished, killed, interrupted), this process goes with it.
process.on("disconnect", () => process.exit(0));
