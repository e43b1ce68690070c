import { defineMutant } from "./define.ts";

// Why it is plausible: the upstream call gets the request's deadline but not the client's connection, as
// when a handler awaits its provider client without passing an AbortSignal through. Every attempt runs to
// its end after the client left, and the failover loop goes on to the next provider for nobody.
export default defineMutant({
  id: "client_gone_ignored",
  family: "upstream",
  expectedCheck: "DISC-001",
  summary:
    "the client's disconnect is ignored: its attempts run on, and failover goes on to the next provider after the client left",
  policy: {
    clientGone: () => new AbortController().signal,
  },
});
