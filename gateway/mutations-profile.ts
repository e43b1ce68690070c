import type { Mutation } from "./mutations.ts";

/** One-defect mutations of the profile features: families, hints, request ids, field codes, required fields. */
export const PROFILE_MUTATIONS: readonly Mutation[] = [
  // meta-envelope (meta-envelope gateway's Error Codes reference): request ids, timestamps, field codes, the auth split
  {
    id: "request_id_reused",
    family: "request-id",
    expectedCheck: "RID-002",
    profile: "meta-envelope",
    summary: "every answer carries the same meta.request_id",
  },
  {
    id: "no_request_id",
    family: "request-id",
    expectedCheck: "RID-001",
    profile: "meta-envelope",
    summary: "errors carry no meta.request_id",
  },
  {
    id: "timestamp_epoch",
    family: "envelope",
    expectedCheck: "TS-001",
    profile: "meta-envelope",
    summary: "meta.timestamp is epoch milliseconds, not ISO 8601",
  },
  {
    id: "field_generic",
    family: "field",
    expectedCheck: "FIELD-001",
    profile: "meta-envelope",
    summary: "a broken temperature or max_tokens is answered with the generic code and no details.field",
  },
  {
    id: "missing_key_as_invalid",
    family: "condition",
    expectedCheck: "COND-001",
    profile: "meta-envelope",
    summary: "a missing API key is answered INVALID_API_KEY instead of MISSING_API_KEY",
  },
  // lemondata (LemonData API docs, Error Codes): Agent-First hints and the native families
  {
    id: "retryable_wrong",
    family: "hints",
    expectedCheck: "HINT-001",
    profile: "lemondata",
    summary: "every error says retryable: true, client errors included",
  },
  {
    id: "did_you_mean_bogus",
    family: "hints",
    expectedCheck: "HINT-002",
    profile: "lemondata",
    summary: "an unknown model's did_you_mean names a model the gateway does not serve",
  },
  {
    id: "retry_after_mismatch",
    family: "retry-after",
    expectedCheck: "RA-002",
    profile: "lemondata",
    summary: "the body's retry_after is 30 s longer than the Retry-After header",
  },
  {
    id: "anthropic_openai_shape",
    family: "family",
    expectedCheck: "ENV-001",
    profile: "lemondata",
    summary: "the Anthropic-compatible path answers errors in the OpenAI-compatible envelope",
  },
  // data-envelope (data-envelope gateway's Errors guide): the fixed fields and the concurrency guard's extra fields
  {
    id: "concurrency_fields_missing",
    family: "envelope",
    expectedCheck: "ENV-005",
    profile: "data-envelope",
    summary: "CONCURRENT_GENERATION_LIMIT carries neither active_requests nor concurrency_limit",
  },
  {
    id: "data_not_null",
    family: "envelope",
    expectedCheck: "ENV-001",
    profile: "data-envelope",
    summary: "errors carry data: {} instead of data: null",
  },
  // llmapi (LLMAPI docs, Errors): statuses of its own, the body limit, the Gemini family
  {
    id: "balance_402",
    family: "envelope",
    expectedCheck: "ENV-003",
    profile: "llmapi",
    summary: "insufficient balance is answered 402 instead of the documented 403",
  },
  {
    id: "too_large_400",
    family: "condition",
    expectedCheck: "COND-001",
    profile: "llmapi",
    summary: "a body over the limit is answered as an invalid request (400) instead of 413",
  },
  {
    id: "gemini_openai_shape",
    family: "family",
    expectedCheck: "ENV-001",
    profile: "llmapi",
    summary: "the Gemini-compatible path answers errors in the default family's envelope, not Google's",
  },
];
