import { defineMutant } from "./define.ts";

// Why it is plausible: idempotency wired into one route and forgotten on the others.
export default defineMutant({
  id: "idem_chat_only",
  family: "idempotency",
  expectedCheck: "IDEM-001",
  profile: "data-envelope",
  summary: "Idempotency-Key is honoured on chat only: a repeated task submit runs a second task",
  policy: {
    honoursIdempotency: (endpoint) => endpoint === "chat",
  },
});
