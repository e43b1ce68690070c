import { Agent, request } from "undici";
import type { JournalEntry } from "../mocks/journal.ts";
import { settled } from "./disconnect-rule.ts";
import { parseSse } from "./harness/http.ts";
import type { ClientAbort, Exchange, RequestSpec } from "./harness/types.ts";

// A client that hangs up mid-request (docs/contract.md §22), then watches the mock's journal for what the
// gateway does about it. Every wait is a timer and the whole exchange has the harness's deadline.

const POLL_MS = 20;
const WATCH_POLL_MS = 100;
const MAX_CAPTURE_BYTES = 1024 * 1024;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

type Response = Awaited<ReturnType<typeof request>>;

/** Whether the journal shows the moment the case waits for: an attempt in flight, or one already answered. */
function triggered(journal: JournalEntry[], trigger: ClientAbort["trigger"]): boolean {
  return trigger === "answered"
    ? journal.some((e) => e.answeredAt !== undefined)
    : journal.some((e) => e.answeredAt === undefined);
}

/**
 * Sends the request, hangs up at the case's point, and watches the journal until the gateway's attempts have
 * settled (disconnect-rule.ts). When the answer is complete before that point, it is read like any other and
 * `clientLeft` stays unset: the case then says nothing about §22.
 */
export async function sendThenLeave(
  baseUrl: string,
  req: RequestSpec,
  leave: ClientAbort,
  deadlineMs: number,
  journal: () => Promise<JournalEntry[]>,
): Promise<Exchange> {
  const url = baseUrl + req.path;
  const started = performance.now();
  const deadline = AbortSignal.timeout(deadlineMs);
  const hangUp = new AbortController();
  // A connection of its own: hanging up closes exactly this request's socket, as a departing client's does.
  const dispatcher = new Agent({ connections: 1, pipelining: 1 });
  const ex: Exchange = { url, request: req, headers: {}, raw: "", timedOut: false, elapsedMs: 0 };
  const chunks: Buffer[] = [];
  const pastDeadline = () => deadline.aborted;
  let res: Response | undefined;
  let failed: unknown;
  const pending = request(url, {
    method: req.method as "POST",
    headers: req.headers,
    body: req.body,
    signal: AbortSignal.any([deadline, hangUp.signal]),
    dispatcher,
    headersTimeout: deadlineMs,
    bodyTimeout: deadlineMs,
  }).then(
    (r) => {
      // Hanging up destroys the body with an AbortError: heard here, not as an uncaught 'error' event.
      r.body.on("error", () => undefined);
      res = r;
    },
    (e) => {
      failed = e;
    },
  );
  const answered = () => res !== undefined || failed !== undefined;
  const leaveNow = async () => {
    await sleep(leave.delayMs ?? 0);
    // Before the response, the answer may win the race: then the case is an ordinary one.
    if (leave.at === "before_response" && (answered() || pastDeadline())) return;
    ex.clientLeft = { at: Date.now(), watchedUntil: 0 };
    hangUp.abort();
  };
  try {
    if (leave.at === "before_response") {
      while (!answered() && !pastDeadline() && !triggered(await journal(), leave.trigger))
        await sleep(POLL_MS);
      await leaveNow();
    }
    await pending;
    if (res) {
      ex.status = res.statusCode;
      ex.headers = lowerHeaders(res.headers);
      if (!ex.clientLeft) await readBody(res, chunks, leave, ex, leaveNow);
    }
  } finally {
    // Only the mock's control API can throw here (the request's own failure is `failed`): a harness failure.
    if (res && !res.body.destroyed) res.body.destroy();
    await dispatcher.destroy().catch(() => undefined);
  }
  if (failed && !ex.clientLeft) {
    const err = failed as { code?: string; message?: string; cause?: { code?: string } };
    ex.error = pastDeadline()
      ? { code: "FAULTLINE_DEADLINE", message: "the harness gave up at its deadline" }
      : { code: err.code ?? err.cause?.code ?? "ERROR", message: err.message ?? String(failed) };
  }
  ex.timedOut = pastDeadline() && !ex.clientLeft;
  ex.raw = Buffer.concat(chunks).toString("utf8");
  ex.elapsedMs = Math.round(performance.now() - started);
  describeBody(ex);
  if (ex.clientLeft) ex.clientLeft.watchedUntil = await watch(journal, ex.clientLeft.at);
  return ex;
}

/**
 * Reads the body up to the case's point (the headers: nothing; the first event: one complete SSE frame), or
 * to its end when the answer is not a stream or ends first.
 */
async function readBody(
  res: Response,
  chunks: Buffer[],
  leave: ClientAbort,
  ex: Exchange,
  leaveNow: () => Promise<void>,
): Promise<void> {
  const isStream = (ex.headers["content-type"] ?? "").includes("text/event-stream");
  if (isStream && leave.at === "after_headers") return leaveNow();
  let size = 0;
  try {
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size <= MAX_CAPTURE_BYTES) chunks.push(c as Buffer);
      if (isStream && leave.at === "after_first_event" && /\r?\n\r?\n/.test(Buffer.concat(chunks).toString()))
        return await leaveNow();
    }
  } catch (e) {
    const err = e as { code?: string; message?: string; cause?: { code?: string } };
    if (!ex.clientLeft)
      ex.error = { code: err.code ?? err.cause?.code ?? "ERROR", message: err.message ?? "" };
  }
}

/** Polls the journal after the client left until the gateway's attempts settled; returns when it stopped. */
async function watch(journal: () => Promise<JournalEntry[]>, leftAt: number): Promise<number> {
  for (;;) {
    const entries = await journal();
    const now = Date.now();
    if (settled(entries, leftAt, now)) return now;
    await sleep(WATCH_POLL_MS);
  }
}

function describeBody(ex: Exchange): void {
  if ((ex.headers["content-type"] ?? "").includes("text/event-stream")) {
    const { events, endedCleanly } = parseSse(ex.raw);
    ex.events = events;
    ex.streamEndedCleanly = endedCleanly && !ex.error && !ex.clientLeft;
  } else if (ex.raw && !ex.clientLeft) {
    try {
      ex.json = JSON.parse(ex.raw);
    } catch {
      ex.json = undefined;
    }
  }
}

function lowerHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}
