import { defineMutant } from "./define.ts";

// Why it is plausible: an unhandled socket error that takes the whole process down.
export default defineMutant({
  id: "exit_on_stream_reset",
  family: "liveness",
  expectedCheck: "LIVE-001",
  summary:
    "an upstream reset in the middle of a stream takes the gateway down (in process: it stops listening)",
  policy: {
    onStreamReset(crash) {
      crash();
      return true;
    },
  },
});
