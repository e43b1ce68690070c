import { defineMutant } from "./define.ts";

// Why it is plausible: the status HTTP suggests (Payment Required) instead of the documented one.
export default defineMutant({
  id: "balance_402",
  family: "envelope",
  expectedCheck: "ENV-003",
  profile: "llmapi",
  summary: "insufficient balance is answered 402 instead of the documented 403",
  policy: {
    statusFor: (cond, _code, catalogued) => (cond === "balance.insufficient" ? 402 : catalogued),
  },
});
