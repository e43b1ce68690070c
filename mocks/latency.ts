import type { z } from "zod";
import { once, zod } from "./lazy.ts";

/** No single drawn delay exceeds this, so a typo cannot pin a connection for hours. */
export const MAX_LATENCY_MS = 600_000;

const msSchema = once(() => zod().z.number().int().min(0).max(MAX_LATENCY_MS));

/**
 * How long an answer waits before its first byte. Lognormal is the usual shape of real API latency
 * (most answers near the median, a long right tail), so `capMs` bounds the tail. Built on first use.
 */
export const latencySpec = once(() => {
  const { z } = zod();
  const ms = msSchema();
  return z
    .discriminatedUnion("dist", [
      z.object({ dist: z.literal("fixed"), ms }).strict(),
      z.object({ dist: z.literal("uniform"), minMs: ms, maxMs: ms }).strict(),
      z
        .object({
          dist: z.literal("lognormal"),
          medianMs: ms.min(1),
          /** Standard deviation of ln(latency); 0.5 gives p99 ≈ 3.2 × median. */
          sigma: z.number().min(0).max(4),
          capMs: ms,
        })
        .strict(),
    ])
    .superRefine((v, ctx) => {
      if (v.dist === "uniform" && v.minMs > v.maxMs) {
        ctx.addIssue({ code: "custom", path: ["maxMs"], message: `expected at least minMs (${v.minMs})` });
      }
      if (v.dist === "lognormal" && v.capMs < v.medianMs) {
        ctx.addIssue({
          code: "custom",
          path: ["capMs"],
          message: `expected at least medianMs (${v.medianMs})`,
        });
      }
    });
});
export type LatencySpec = z.infer<ReturnType<typeof latencySpec>>;

/** The same fields written flat beside a step's other parameters (`{step: latency, dist: fixed, ms: 50}`). */
export function flatLatencyFields() {
  const { z } = zod();
  const ms = msSchema();
  return {
    dist: z.enum(["fixed", "uniform", "lognormal"]),
    ms: ms.optional(),
    minMs: ms.optional(),
    maxMs: ms.optional(),
    medianMs: ms.optional(),
    sigma: z.number().optional(),
    capMs: ms.optional(),
  };
}

/** Validates flat latency fields against LatencySpec, so both forms give the same errors. */
export function refineFlatLatency(v: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const parsed = latencySpec().safeParse(pickLatency(v));
  if (parsed.success) return;
  for (const i of parsed.error.issues) ctx.addIssue({ code: "custom", path: i.path, message: i.message });
}

/** The latency fields of a flat step's parameters. */
const LATENCY_KEYS = ["dist", "ms", "minMs", "maxMs", "medianMs", "sigma", "capMs"] as const;

export function pickLatency(v: Record<string, unknown>): LatencySpec {
  const out: Record<string, unknown> = {};
  for (const k of LATENCY_KEYS) if (v[k] !== undefined) out[k] = v[k];
  return out as LatencySpec;
}

/** A standard normal draw (Box–Muller); `1 - random()` keeps the logarithm away from 0. */
function normal(random: () => number): number {
  const u1 = 1 - random();
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Draws one delay in whole milliseconds; the same random stream gives the same delays. */
export function drawLatencyMs(spec: LatencySpec, random: () => number): number {
  switch (spec.dist) {
    case "fixed":
      return spec.ms;
    case "uniform":
      return Math.round(spec.minMs + random() * (spec.maxMs - spec.minMs));
    case "lognormal":
      return Math.min(spec.capMs, Math.round(spec.medianMs * Math.exp(spec.sigma * normal(random))));
  }
}
