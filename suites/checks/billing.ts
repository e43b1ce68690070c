import { refusedBeforeUpstream } from "../harness/types.ts";
import { defineCheck } from "./registry.ts";
import { attemptsSummary } from "./upstream.ts";
import { isError } from "./util.ts";

defineCheck({
  id: "BILL-001",
  level: "must",
  title: "No upstream work before a client-side rejection",
  sentence:
    "An answer for auth.*, request.*, model.*, balance.insufficient or rate.limited follows no upstream attempt.",
  source: "docs/contract.md §19 No billable work on a client-side rejection",
  fix: "Authenticate, validate the body and the model, and check the account's balance and rate limit before calling any provider.",
  // Judged only when the request carried its plan's marker: otherwise the mock could not tie an attempt to it.
  applies: (j) =>
    refusedBeforeUpstream(j.case.condition) &&
    !j.case.scenario &&
    isError(j.exchange.status) &&
    j.exchange.journal !== undefined &&
    !!j.exchange.planId &&
    (j.exchange.request.body ?? "").includes(`faultline:${j.exchange.planId}`),
  judge: ({ exchange: ex, case: c }) =>
    ex.journal!.length
      ? {
          expected: `no upstream attempt before the ${c.condition} answer`,
          received: `${ex.status} after ${ex.journal!.length} upstream attempt(s): ${attemptsSummary(ex.journal)}`,
        }
      : undefined,
});
