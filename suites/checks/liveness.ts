import { defineCheck } from "./registry.ts";

// The runner judges this one itself (harness/liveness.ts): it probes the gateway after any case that ends
// in a transport error and between properties, and names the case before the first refused connection.
defineCheck({
  id: "LIVE-001",
  level: "must",
  title: "The gateway survives every case",
  sentence:
    "No case makes the gateway stop accepting connections; the case before the first refused connection is the finding.",
  source: "docs/contract.md §17 The gateway survives",
  fix: "No upstream failure may take the process down: handle every socket error and rejected promise on the request path (no process.exit, no uncaught exception), and run the gateway under a supervisor that restarts it.",
  applies: () => false,
  judge: () => undefined,
});
