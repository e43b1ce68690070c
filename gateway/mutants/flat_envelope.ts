import { defineMutant } from "./define.ts";

// Why it is plausible: one hand-written error shape for every endpoint.
export default defineMutant({
  id: "flat_envelope",
  family: "envelope",
  expectedCheck: "ENV-001",
  summary: "errors are rendered as a flat {code,message} object, ignoring the profile's paths",
  policy: {
    renderError: (_profile, spec) => ({ code: spec.code, message: spec.message }),
  },
});
