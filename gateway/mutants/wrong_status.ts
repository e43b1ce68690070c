import { defineMutant } from "./define.ts";

// Why it is plausible: a framework's validation status (422) instead of the documented one.
export default defineMutant({
  id: "wrong_status",
  family: "envelope",
  expectedCheck: "ENV-003",
  summary: "the request.invalid code is answered with 422 instead of its catalogue status",
  policy: {
    statusFor(_cond, code, catalogued, profile) {
      const invalid = profile.conditions["request.invalid"];
      return invalid !== undefined && code === [invalid].flat()[0] ? 422 : catalogued;
    },
  },
});
