// Where a server's CPU goes, from a V8 `.cpuprofile` (`node --cpu-prof`): self time grouped by the
// part of the request's life it belongs to, so the bench can say where the remaining cost lies.
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Buckets by where a frame lives; the first matching rule wins. */
const BUCKETS: Array<[string, (url: string, fn: string) => boolean]> = [
  ["idle / waiting for I/O", (_u, f) => f === "(idle)" || f === "(program)"],
  ["garbage collection", (_u, f) => f === "(garbage collector)"],
  ["journal", (u) => /(mocks\/journal|core\/redact)\.ts/.test(u)],
  ["dialect bodies and headers", (u) => /mocks\/dialects\//.test(u)],
  ["steps and plans", (u) => /(mocks\/(steps|plan|latency|scenario)|core\/rng)\.ts/.test(u)],
  ["engine (routing, marker, JSON.parse of the body)", (u) => /mocks\/engine\.ts/.test(u)],
  [
    "mock transport and player (read, write, metrics)",
    (u) => /mocks\/(transport|player|server|control|limits|metrics)\.ts/.test(u),
  ],
  ["bench instrumentation", (u) => /scripts\/bench\//.test(u)],
  ["node:http parse and write", (u) => /node:_http|node:internal\/http|_http_/.test(u)],
  [
    "net and streams (writev, sockets)",
    (u) => /node:(net|internal\/streams|stream|internal\/stream_base)/.test(u),
  ],
  [
    "timers and microtasks",
    (u, f) => /node:(internal\/)?timers/.test(u) || /processTicksAndRejections|runMicrotasks/.test(f),
  ],
  ["other node internals", (u) => u.startsWith("node:")],
  ["native (JSON, strings, V8 builtins)", (u) => u === ""],
  ["other", () => true],
];

export interface CostShare {
  bucket: string;
  /** Share of busy time (idle excluded). */
  share: number;
  top: string[];
}

export function summariseProfile(path: string): CostShare[] {
  const p = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const buckets = new Map<string, { us: number; fns: Map<string, number> }>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const { url, functionName, lineNumber } = byId.get(id)!.callFrame;
    const bucket = BUCKETS.find(([, match]) => match(url, functionName))![0];
    if (bucket.startsWith("idle")) continue;
    busy += us;
    const b = buckets.get(bucket) ?? { us: 0, fns: new Map() };
    b.us += us;
    const fn = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(mocks|core|scripts|node_modules)\//, "$1/")}:${lineNumber + 1}`;
    b.fns.set(fn, (b.fns.get(fn) ?? 0) + us);
    buckets.set(bucket, b);
  }
  return [...buckets.entries()]
    .map(([bucket, b]) => ({
      bucket,
      share: b.us / busy,
      top: [...b.fns.entries()]
        .sort((x, y) => y[1] - x[1])
        .slice(0, 3)
        .map(([f, us]) => `${f} ${Math.round((us / busy) * 1000) / 10}%`),
    }))
    .sort((x, y) => y.share - x.share);
}
