import { defineMutant } from "./define.ts";

// Why it is plausible: a hand-rolled relay that drops the blank line between events.
export default defineMutant({
  id: "sse_bad_framing",
  family: "stream",
  expectedCheck: "STR-003",
  summary: "relayed stream events are not separated by a blank line",
  policy: {
    streamFrame: (raw) => raw.replace(/\n\n$/, " "),
  },
});
