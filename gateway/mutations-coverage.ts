import type { Dispatcher } from "undici";
import type { Mutation } from "./mutations.ts";
import { POLICY_VARIANTS, REFERENCE_POLICY } from "./policy.ts";

/**
 * One-defect mutations that only richer cases reach (issue 10, "missed because no case reached them"):
 * each is invisible to ASCII one-line prompts and to the chat-only idempotency cases that came before.
 */
export const COVERAGE_MUTATIONS: readonly Mutation[] = [
  {
    id: "upstream_length_in_chars",
    family: "failover",
    expectedCheck: "FO-001",
    summary:
      "the upstream request's Content-Length is the payload's string length, not its bytes: a provider gets a non-ASCII prompt cut short",
  },
  {
    id: "idem_chat_only",
    family: "idempotency",
    expectedCheck: "IDEM-001",
    profile: "data-envelope",
    summary: "Idempotency-Key is honoured on chat only: a repeated task submit runs a second task",
  },
  {
    id: "idem_replay_content_type",
    family: "idempotency",
    expectedCheck: "IDEM-001",
    profile: "data-envelope",
    summary:
      "a replayed answer keeps its status and body but loses its content type (the store keeps only those two)",
  },
  {
    id: "idem_errors_not_stored",
    family: "idempotency",
    expectedCheck: "IDEM-001",
    profile: "data-envelope",
    summary:
      "a first answer 4xx (the provider refused the prompt) is not stored: the retry asks the provider again",
  },
  {
    id: "idem_stuck_after_error",
    family: "idempotency",
    expectedCheck: "IDEM-006",
    profile: "data-envelope",
    summary: "a key whose first request ended 5xx stays in flight: every retry with it is refused 409",
  },
];

/**
 * What a hand-rolled HTTP client with `Content-Length: body.length` puts on the wire: the header counts
 * UTF-16 code units, the server reads that many bytes and no more. For ASCII the two agree; any other
 * prompt reaches the provider cut short (its JSON unterminated).
 */
const charCounted = (dispatch: Dispatcher["dispatch"]): Dispatcher["dispatch"] =>
  function dispatchCut(opts, handler) {
    if (typeof opts.body !== "string") return dispatch(opts, handler);
    const units = opts.body.length;
    const body = Buffer.from(opts.body).subarray(0, units);
    return dispatch({ ...opts, body, reset: true }, handler);
  };

const cutting = new WeakMap<Dispatcher, Dispatcher>();

POLICY_VARIANTS.set("upstream_length_in_chars", {
  async admit(c) {
    const chat = await REFERENCE_POLICY.admit(c);
    // The defect lives in the gateway's HTTP client: every upstream attempt of this request goes through it.
    let d = cutting.get(c.dispatcher);
    if (!d) {
      d = c.dispatcher.compose(charCounted);
      cutting.set(c.dispatcher, d);
    }
    c.dispatcher = d;
    return chat;
  },
});
