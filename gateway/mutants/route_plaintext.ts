import { defineMutant } from "./define.ts";

// Why it is plausible: the HTTP framework's default not-found page.
export default defineMutant({
  id: "route_plaintext",
  family: "route",
  expectedCheck: "ROUTE-001",
  summary: "unknown routes are answered 404 text/plain",
  policy: {
    unknownRoute(reply) {
      reply.res
        .writeHead(404, { "content-type": "text/plain", "x-request-id": reply.requestId })
        .end("Not Found");
    },
  },
});
