// The one reply player (mocks/player.ts) against a sink that records what it is told: what a delay, a
// stall, a hang, a cut and a client that leaves become, and that each exchange ends once.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type Gone,
  type GoneListener,
  MAX_HANG_MS,
  type Outcome,
  PREPARE_MAX_MS,
  play,
  type ReplySink,
} from "../mocks/player.ts";
import type { Reply } from "../mocks/types.ts";

interface Tape {
  calls: string[];
  gone?: Gone;
  listener?: GoneListener;
  outcomes: Outcome[];
}

const SINK: ReplySink<Tape> = {
  whole: (t, status, _h, body) => t.calls.push(`whole ${status} ${body}`),
  head: (t, status) => t.calls.push(`head ${status}`),
  write: (t, data) => t.calls.push(`write ${data}`),
  end: (t) => t.calls.push("end"),
  fault: (t, kind, headSent) => {
    t.calls.push(`fault ${kind}${headSent ? " after head" : ""}`);
  },
  gone: (t) => t.gone,
  listen: (t, l) => {
    t.listener = l;
  },
  unlisten: (t) => {
    t.listener = undefined;
  },
};

function start(reply: Reply): Tape {
  const tape: Tape = { calls: [], outcomes: [] };
  play(
    reply,
    SINK,
    tape,
    { played: (o, t) => t.outcomes.push(o), failed: (e) => expect.fail(String(e)) },
    tape,
  );
  return tape;
}

function leave(t: Tape, who: Gone): void {
  t.gone = who;
  t.listener?.gone(who);
}

const ok = (extra: Partial<Reply> = {}): Reply => ({ status: 200, headers: {}, body: "{}", ...extra });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the reply player", () => {
  it("plays a whole answer and an instant stream before returning", () => {
    expect(start(ok())).toMatchObject({ calls: ["whole 200 {}"], outcomes: ["answered"] });
    const stream = start(ok({ chunks: [{ data: "a" }, { data: "b" }] }));
    expect(stream).toMatchObject({
      calls: ["head 200", "write a", "write b", "end"],
      outcomes: ["answered"],
    });
  });

  it("waits out the first delay and each chunk's own delay on timers", () => {
    const t = start(ok({ delayMs: 50, chunks: [{ data: "a" }, { data: "b", delayMs: 100 }] }));
    expect(t.calls).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(t.calls).toEqual(["head 200", "write a"]);
    vi.advanceTimersByTime(99);
    expect(t.calls).toEqual(["head 200", "write a"]);
    vi.advanceTimersByTime(1);
    expect(t).toMatchObject({ calls: ["head 200", "write a", "write b", "end"], outcomes: ["answered"] });
  });

  it("ends as client_closed, once, when the client leaves during a stall", () => {
    const t = start(ok({ chunks: [{ data: "a" }, { data: "b", delayMs: 60_000 }] }));
    leave(t, "client");
    leave(t, "client");
    vi.advanceTimersByTime(60_000);
    expect(t).toMatchObject({ calls: ["head 200", "write a"], outcomes: ["client_closed"] });
  });

  it("holds a hang until the client leaves, or lets go itself at MAX_HANG_MS as a fault", () => {
    const left = start({ status: 0, headers: {}, fault: "hang" });
    vi.advanceTimersByTime(1_000);
    leave(left, "client");
    expect(left).toMatchObject({ calls: [], outcomes: ["client_closed"] });

    const forgotten = start({ status: 0, headers: {}, fault: "hang" });
    vi.advanceTimersByTime(MAX_HANG_MS);
    expect(forgotten).toMatchObject({ calls: ["fault empty"], outcomes: ["fault"] });

    const headersThenHang = start({ status: 200, headers: {}, end: "hang" });
    vi.advanceTimersByTime(MAX_HANG_MS);
    expect(headersThenHang).toMatchObject({
      calls: ["head 200", "fault cut after head"],
      outcomes: ["fault"],
    });
  });

  it("plays faults before and after the head, and a host that stops as the mock's own fault", () => {
    expect(start({ status: 0, headers: {}, fault: "reset" })).toMatchObject({
      calls: ["fault reset"],
      outcomes: ["fault"],
    });
    const cut = start(ok({ chunks: [{ data: "a" }], end: "cut" }));
    expect(cut).toMatchObject({
      calls: ["head 200", "write a", "fault cut after head"],
      outcomes: ["fault"],
    });
    const stopped = start(ok({ chunks: [{ data: "a" }], end: "hang" }));
    leave(stopped, "host");
    expect(stopped).toMatchObject({
      calls: ["head 200", "write a", "fault cut after head"],
      outcomes: ["fault"],
    });
  });

  it("makes a delayed whole answer's head ready on arrival, then holds only its body through the delay", () => {
    const prepared: ReplySink<Tape> = {
      ...SINK,
      prepareWhole: (t, status, headers, body) =>
        t.calls.push(`prepare ${status} ${JSON.stringify(headers)} ${body}`),
      endWhole: (t, body) => t.calls.push(`endWhole ${body}`),
    };
    const play1 = (reply: Reply): Tape => {
      const t: Tape = { calls: [], outcomes: [] };
      play(
        reply,
        prepared,
        t,
        { played: (o, x) => x.outcomes.push(o), failed: (e) => expect.fail(String(e)) },
        t,
      );
      return t;
    };
    const reply = ok({ delayMs: 50, headers: { "x-request-id": "req_1" } });
    const t = play1(reply);
    expect(t.calls).toEqual(['prepare 200 {"x-request-id":"req_1"} {}']);
    // The headers are in the sink's head: the reply no longer keeps them (nor can they be changed).
    expect(reply.headers).toEqual({});
    expect(Object.isFrozen(reply.headers)).toBe(true);
    vi.advanceTimersByTime(50);
    expect(t).toMatchObject({ calls: [expect.any(String), "endWhole {}"], outcomes: ["answered"] });

    // Past PREPARE_MAX_MS (node's Date header would be stale) the head is made when the delay ends.
    const late = ok({ delayMs: PREPARE_MAX_MS + 1, headers: { "x-request-id": "req_2" } });
    const u = play1(late);
    expect(u.calls).toEqual([]);
    vi.advanceTimersByTime(PREPARE_MAX_MS + 1);
    expect(u).toMatchObject({ calls: ["whole 200 {}"], outcomes: ["answered"] });
    expect(late.headers).toEqual({ "x-request-id": "req_2" });
  });

  it("does not start for a client that already left", () => {
    const t: Tape = { calls: [], outcomes: [], gone: "client" };
    play(ok({ delayMs: 10 }), SINK, t, { played: (o, x) => x.outcomes.push(o), failed: () => {} }, t);
    vi.advanceTimersByTime(10);
    expect(t).toMatchObject({ calls: [], outcomes: ["client_closed"] });
  });
});
