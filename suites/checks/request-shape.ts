import type { Exchange } from "../harness/types.ts";
import { defineCheck } from "./registry.ts";
import { describeResponse, is2xx } from "./util.ts";

/** The condition of a valid request whose optional headers differ from the official SDKs'. */
export const SHAPE_CONDITION = "shape.optional_headers";

/** The steps of a request-shape case: the SDKs' headers first, then the same request with one header varied. */
export const SHAPE_STEPS = { baseline: "sdk-headers", varied: "varied-headers" } as const;

function baselineOf(ex: Exchange): Exchange | undefined {
  return ex.steps?.find((s) => s.name === SHAPE_STEPS.baseline)?.exchange;
}

defineCheck({
  id: "SHAPE-001",
  level: "should",
  title: "Optional request headers do not change the answer",
  sentence: "A valid request is answered the same whichever optional headers it carries.",
  source:
    "RFC 9110 §12.5.1 (a request without Accept accepts any media type); the official SDKs' request headers",
  fix: "Treat Accept, User-Agent and content-type parameters as optional: answer a valid request without them, or with */* or a charset, as you answer the SDK's request.",
  // Judged only when the SDK-shaped request was answered 2xx: otherwise nothing tells a header problem
  // from any other failure.
  applies: (j) => j.case.condition === SHAPE_CONDITION && is2xx(baselineOf(j.exchange)?.status),
  judge({ exchange: ex, case: c }) {
    if (is2xx(ex.status)) return undefined;
    return {
      expected: `2xx, as the same request with the SDKs' headers got (${baselineOf(ex)?.status})`,
      received: `${describeResponse(ex)} — sent ${c.note ?? "with other optional headers"}`,
    };
  },
});
