import { defineMutant } from "./define.ts";

// Why it is plausible: failover written for the JSON path only.
export default defineMutant({
  id: "stream_no_failover",
  family: "stream",
  expectedCheck: "STR-001",
  summary: "streams are not failed over: the first provider's failure before the first byte ends the request",
  policy: {
    afterFailure: (f) => (f.stream ? "stop" : "next"),
  },
});
