import type { Dispatcher } from "undici";
import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

/**
 * What a client with `Content-Length: body.length` puts on the wire: the header counts UTF-16 code units,
 * the server reads that many bytes and no more. For ASCII the two agree; any other prompt reaches the
 * provider cut short (its JSON unterminated).
 */
const charCounted = (dispatch: Dispatcher["dispatch"]): Dispatcher["dispatch"] =>
  function dispatchCut(opts, handler) {
    if (typeof opts.body !== "string") return dispatch(opts, handler);
    const body = Buffer.from(opts.body).subarray(0, opts.body.length);
    return dispatch({ ...opts, body, reset: true }, handler);
  };

const cutting = new WeakMap<Dispatcher, Dispatcher>();

// Why it is plausible: a hand-rolled HTTP client with `Content-Length: body.length`.
export default defineMutant({
  id: "upstream_length_in_chars",
  family: "failover",
  expectedCheck: "FO-001",
  summary:
    "the upstream request's Content-Length is the payload's string length, not its bytes: a provider gets a non-ASCII prompt cut short",
  policy: {
    async admit(c) {
      const chat = await REF.admit(c);
      // Every upstream attempt of this request goes through the broken client.
      let d = cutting.get(c.dispatcher);
      if (!d) {
        d = c.dispatcher.compose(charCounted);
        cutting.set(c.dispatcher, d);
      }
      c.dispatcher = d;
      return chat;
    },
  },
});
