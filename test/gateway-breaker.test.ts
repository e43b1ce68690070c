import { describe, expect, it } from "vitest";
import { CircuitBreakers } from "../gateway/breaker.ts";
import { breakerOf } from "../scripts/cli/gateway.ts";

// The reference gateway's circuit breaker, on a clock the test moves by hand.
function breakers(failureThreshold = 2, openMs = 1_000) {
  let now = 0;
  const b = new CircuitBreakers({ failureThreshold, openMs }, () => now);
  return { b, advance: (ms: number) => (now += ms) };
}

describe("circuit breaker", () => {
  it("opens after the threshold of consecutive failures and skips the provider while open", () => {
    const { b } = breakers(2);
    expect(b.allow("alpha")).toBe(true);
    b.record("alpha", "failure");
    expect(b.allow("alpha")).toBe(true);
    b.record("alpha", "failure");
    expect(b.allow("alpha")).toBe(false);
    expect(b.allow("beta")).toBe(true);
  });

  it("a success in between resets the count", () => {
    const { b } = breakers(2);
    b.record("alpha", "failure");
    b.record("alpha", "success");
    b.record("alpha", "failure");
    expect(b.allow("alpha")).toBe(true);
  });

  it("half-opens after openMs: one trial at a time; its success closes, its failure reopens", () => {
    const { b, advance } = breakers(1, 1_000);
    b.record("alpha", "failure");
    advance(999);
    expect(b.allow("alpha")).toBe(false);
    advance(1);
    expect(b.allow("alpha")).toBe(true);
    expect(b.allow("alpha")).toBe(false);
    b.record("alpha", "failure");
    expect(b.allow("alpha")).toBe(false);
    advance(1_000);
    expect(b.allow("alpha")).toBe(true);
    b.record("alpha", "success");
    expect(b.allow("alpha")).toBe(true);
    expect(b.allow("alpha")).toBe(true);
  });

  it("an abandoned trial (the client left) frees the slot without a verdict", () => {
    const { b, advance } = breakers(1, 10);
    b.record("alpha", "failure");
    advance(10);
    expect(b.allow("alpha")).toBe(true);
    b.record("alpha", "abandoned");
    expect(b.allow("alpha")).toBe(true);
  });

  it("faultline gateway: --breaker-open-ms needs --breaker-threshold", () => {
    expect(breakerOf({})).toBeUndefined();
    expect(breakerOf({ breakerThreshold: 3 })).toEqual({ failureThreshold: 3, openMs: 5_000 });
    expect(breakerOf({ breakerThreshold: 3, breakerOpenMs: 200 })).toEqual({
      failureThreshold: 3,
      openMs: 200,
    });
    expect(() => breakerOf({ breakerOpenMs: 200 })).toThrow(
      /--breaker-open-ms: expected it together with --breaker-threshold/,
    );
  });
});
