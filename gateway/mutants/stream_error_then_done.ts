import { defineMutant } from "./define.ts";

// Why it is plausible: a relay that writes its own error event and the terminator.
export default defineMutant({
  id: "stream_error_then_done",
  family: "stream",
  expectedCheck: "STR-005",
  summary: 'a broken stream ends with a malformed error event ({"error": "<text>"}) followed by data: [DONE]',
  policy: {
    streamErrorFrames: (encoder, _body, spec) =>
      `data: ${JSON.stringify({ error: spec.message })}\n\n${encoder.close()}`,
  },
});
