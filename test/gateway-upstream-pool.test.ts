import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { AttemptGuard, abortQuietly } from "../gateway/guard.ts";
import { UpstreamPool } from "../gateway/upstream-pool.ts";

// The gateway's connection pool to its providers (gateway/upstream-pool.ts), against a real HTTP server
// that counts connections and holds `/hang` requests until the test lets them go.

interface Upstream {
  url: string;
  connections: number;
  open: Set<import("node:net").Socket>;
  hanging: ServerResponse[];
  close(): Promise<void>;
}

async function upstream(): Promise<Upstream> {
  const u = { connections: 0, open: new Set(), hanging: [] } as unknown as Upstream;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.url === "/hang") u.hanging.push(res);
    else res.end("ok");
  });
  server.on("connection", (s) => {
    u.connections++;
    u.open.add(s);
    s.on("close", () => u.open.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  u.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  u.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return u;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const closing: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c();
});

async function setup(): Promise<{ u: Upstream; pool: UpstreamPool }> {
  const u = await upstream();
  closing.push(u.close);
  const pool = new UpstreamPool({ keepAliveTimeout: 10_000 });
  closing.push(() => pool.destroy());
  return { u, pool };
}

const get = async (pool: UpstreamPool, url: string, signal = AbortSignal.timeout(5_000)) => {
  const res = await request(url, { dispatcher: pool, signal });
  return { status: res.statusCode, text: await res.body.text() };
};

describe("upstream pool", () => {
  it("reuses one connection for requests one after another", async () => {
    const { u, pool } = await setup();
    for (let i = 0; i < 5; i++) expect(await get(pool, `${u.url}/ok`)).toEqual({ status: 200, text: "ok" });
    expect(u.connections).toBe(1);
  });

  it("gives every request in flight its own connection, and frees the ones whose attempt was stopped", async () => {
    const { u, pool } = await setup();
    const guards = Array.from({ length: 20 }, () => new AttemptGuard([]));
    const pending = guards.map((g) =>
      get(pool, `${u.url}/hang`, g.signal).then(
        () => "answered",
        () => "stopped",
      ),
    );
    await until(() => u.hanging.length === 20, "20 requests at the upstream");
    expect(u.connections).toBe(20);
    for (const g of guards) g.stop("timeout");
    expect(await Promise.all(pending)).toEqual(Array(20).fill("stopped"));
    // The upstream sees each stopped attempt go away (HTTP/1.1 has no other way to cancel a request)...
    await until(() => u.hanging.every((r) => r.destroyed), "the stopped attempts to close at the upstream");
    // ...and every client is free again: 20 more requests at once go out without waiting for one another.
    const again = await Promise.all(Array.from({ length: 20 }, () => get(pool, `${u.url}/ok`)));
    expect(again.every((r) => r.text === "ok")).toBe(true);
  });

  it("a request that answers frees its connection for the next while others still hang", async () => {
    const { u, pool } = await setup();
    const hang = new AbortController();
    const held = get(pool, `${u.url}/hang`, hang.signal).catch(() => "stopped");
    await until(() => u.hanging.length === 1, "the hanging request");
    for (let i = 0; i < 3; i++) expect((await get(pool, `${u.url}/ok`)).text).toBe("ok");
    expect(u.connections).toBe(2);
    u.hanging[0]!.end("late");
    expect(await held).toEqual({ status: 200, text: "late" });
    abortQuietly(hang);
  });

  it("keeps at most maxIdle clients once a burst is over, and closes the rest's connections", async () => {
    const u = await upstream();
    closing.push(u.close);
    const pool = new UpstreamPool({ keepAliveTimeout: 10_000 }, { maxIdle: 4 });
    closing.push(() => pool.destroy());
    const burst = Array.from({ length: 12 }, () => get(pool, `${u.url}/hang`));
    await until(() => u.hanging.length === 12, "12 requests at the upstream");
    expect(pool.size).toBe(12);
    for (const r of u.hanging) r.end("done");
    expect((await Promise.all(burst)).every((r) => r.text === "done")).toBe(true);
    await until(() => u.open.size === 4, "the connections past maxIdle to close");
    expect(pool.size).toBe(4);
    // The four kept are reused: four requests at once open no new connection.
    await Promise.all(Array.from({ length: 4 }, () => get(pool, `${u.url}/ok`)));
    expect(u.connections).toBe(12);
  });

  it("destroy closes every connection and refuses later requests", async () => {
    const { u, pool } = await setup();
    await get(pool, `${u.url}/ok`);
    await pool.destroy();
    await until(() => u.open.size === 0, "the pool's connections to close");
    await expect(get(pool, `${u.url}/ok`)).rejects.toThrow(/closing/);
  });
});

describe("abortQuietly", () => {
  it("aborts with one shared reason and leaves the stack trace limit as it was", () => {
    const limit = Error.stackTraceLimit;
    const a = new AbortController();
    const b = new AbortController();
    abortQuietly(a);
    abortQuietly(b);
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toBeInstanceOf(Error);
    expect(a.signal.reason).toBe(b.signal.reason);
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it("a guard remembers the first stop", () => {
    const g = new AttemptGuard([]);
    g.stop("deadline");
    g.stop("timeout");
    expect(g.reason).toBe("deadline");
    expect(g.signal.aborted).toBe(true);
  });
});
