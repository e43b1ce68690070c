import type { IncomingMessage, ServerResponse } from "node:http";
import { defineMutant } from "./define.ts";

/** 429/503 answers in a row after which the mutant considers itself under a storm. */
export const STORM_AFTER = 5;

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

// Why it is plausible: a load-shedding path that builds its answer without the header.
export default defineMutant({
  id: "storm_drops_retry_after",
  family: "retry-after",
  expectedCheck: "RA-004",
  profile: "meta-envelope",
  summary:
    "under a storm (from the 5th 429/503 answer in a row until the next 2xx) the gateway's 429/503 answers lose their Retry-After",
  outage: { scenario: "429-storm", rate: 30, durationS: 6 },
  policy: {
    wrapServer(server) {
      let inARow = 0;
      const inner = server.listeners("request") as Listener[];
      server.removeAllListeners("request");
      server.on("request", (req: IncomingMessage, res: ServerResponse) => {
        const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
        res.writeHead = ((status: number, ...rest: unknown[]) => {
          if (status >= 200 && status < 300) inARow = 0;
          if ((status === 429 || status === 503) && ++inARow >= STORM_AFTER) {
            res.removeHeader("retry-after");
            for (const h of rest)
              if (h && typeof h === "object" && !Array.isArray(h))
                delete (h as Record<string, unknown>)["retry-after"];
          }
          return writeHead(status, ...rest);
        }) as ServerResponse["writeHead"];
        for (const l of inner) l.call(server, req, res);
      });
    },
  },
});
