import { defineMutant } from "./define.ts";

// Why it is plausible: a development error handler left on in production.
export default defineMutant({
  id: "error_stack",
  family: "envelope",
  expectedCheck: "INT-001",
  summary: "error messages end with the JavaScript stack of the error that produced them",
  policy: {
    errorSpec: (e) => ({ ...e.spec, message: `${e.spec.message}\n${e.stack}` }),
  },
});
