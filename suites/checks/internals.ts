import type { Exchange } from "../harness/types.ts";
import { defineCheck } from "./registry.ts";
import { isErrorLikeEvent } from "./stream-silence.ts";
import { is2xx, isError } from "./util.ts";

/**
 * What an error body must not show (OWASP, "Improper Error Handling"): each pattern names one kind of
 * internal detail. Paths and addresses must stand alone (after a space, a quote, a bracket), so a docs
 * URL (`https://docs.example.com/app/errors`) or a model name with a slash (`meta-llama/Llama-3`) is fine.
 */
const INTERNALS: Array<[string, RegExp]> = [
  [
    "a JavaScript stack frame",
    /\bat (?:async )?(?:[\w$.<>[\]]+ \()?(?:file:\/\/\/?|node:|webpack:|[A-Za-z]:\\|\/)[^\s()]*:\d+:\d+\)?/,
  ],
  ["a Python traceback", /Traceback \(most recent call last\)|\bFile "[^"]+", line \d+/],
  ["a Java stack frame", /\bat [\w$.]+\([\w$]+\.(?:java|kt|scala):\d+\)/],
  ["a Go stack trace", /\bgoroutine \d+ \[|\.go:\d+ \+0x[0-9a-f]+/],
  ["a Ruby stack frame", /\.rb:\d+:in [`']/],
  [
    "a file-system path",
    /(?<![\w.:/~-])\/(?:home|usr|app|opt|srv|root|var\/(?:lib|www|task|app)|Users)\/[^\s"'<>)]+|(?<![\w])[A-Za-z]:\\[^\s"'<>]+|\bnode_modules\/|\bsite-packages\//,
  ],
  [
    "an internal address",
    /\b(?:localhost|127(?:\.\d{1,3}){3}|10(?:\.\d{1,3}){3}|192\.168(?:\.\d{1,3}){2}|172\.(?:1[6-9]|2\d|3[01])(?:\.\d{1,3}){2})(?::\d{2,5})?\b|\b[\w-]+(?:\.[\w-]+)*\.(?:internal|cluster\.local|localdomain)\b/,
  ],
];

/** Every string of a JSON value, keys aside: escapes decoded, so `C:\\app` reads as `C:\app`. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (typeof v === "object" && v !== null) for (const x of Object.values(v)) strings(x, out);
  return out;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The texts an answer's errors show: the body of an error answer, the error events of a stream. */
function errorTexts(ex: Exchange): string[] {
  if (isError(ex.status)) return strings(ex.json !== undefined ? ex.json : ex.raw);
  return (ex.events ?? []).filter(isErrorLikeEvent).flatMap((e) => strings(parsed(e.data)));
}

/** The mock's address, and so its providers' base URLs: what a gateway must keep to itself. */
function upstreamHost(mock: string | undefined): string | undefined {
  return mock ? new URL(mock).host : undefined;
}

defineCheck({
  id: "INT-001",
  level: "should",
  title: "No internal details in errors",
  sentence: "Error bodies carry no stack traces, file-system paths, internal host names or upstream URLs.",
  source: 'docs/contract.md §25 No internal details in errors; OWASP, "Improper Error Handling"',
  fix: "Answer errors with your own message and code; log stacks, paths and upstream addresses server-side only.",
  applies: (j) =>
    isError(j.exchange.status) || (is2xx(j.exchange.status) && !!j.exchange.events?.some(isErrorLikeEvent)),
  judge({ exchange: ex, target: t }) {
    const host = upstreamHost(t.mock);
    for (const text of errorTexts(ex)) {
      if (host && text.includes(host))
        return { expected: "no upstream URL", received: `the error names the upstream ${host}` };
      for (const [what, re] of INTERNALS) {
        const m = re.exec(text);
        if (m)
          return {
            expected: "no internal details",
            received: `${what}: ${JSON.stringify(m[0].slice(0, 120))}`,
          };
      }
    }
    return undefined;
  },
});
