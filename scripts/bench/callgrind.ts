// Reading valgrind's callgrind output for `npm run bench:instructions`: a dump's functions, by self cost,
// sorted into the parts of a server's work that the mock can change and those it cannot.
import { execFileSync } from "node:child_process";

/** A part of the work, matched on the function's symbol as callgrind_annotate prints it. */
const PARTS: ReadonlyArray<readonly [part: string, symbol: RegExp]> = [
  [
    "garbage collection",
    /Scaveng|Marking|MarkCompact|Sweep|Evacuat|LiveObject|IteratePointers|RecordMigrated|IterateObjectCache|RootScavenge|ConcurrentMarking|RememberedSet|SlotSet|BodyDescriptor|SizeFromMap|Heap::|GCTracer/,
  ],
  ["JIT compiler", /compiler::|Maglev|Baseline|Sparkplug|Zone::|Pipeline|OptimizedCompilationJob/],
  ["JSON.parse", /JsonParser|Builtin_JsonParse/],
  ["object shapes (map transitions)", /Transition|ObjectLiteralMap|MapUpdater/],
  ["JSON.stringify", /JsonStringif/],
  ["strings (build, flatten, copy, encode)", /String|Utf8|CopyChars|memcpy|memmove|memcmp|memchr/],
  [
    "property access and calls (inline caches)",
    /IC_|IC \[|IC\b|Megamorphic|CallApiCallback|CEntry|Call(Varargs|WithArrayLike|Function)/,
  ],
  ["maps and sets", /OrderedHash|MapPrototype|SetPrototype|GetHash/],
  ["allocation", /Factory|Allocat|InitializeJSObject/],
];
/** Where JIT-compiled code is not named by the perf map. */
export const UNNAMED_JS = "JavaScript (not in the perf map)";
export const OTHER = "other (V8 runtime, node's C++, llhttp, libc)";

/** Self instructions of one dump, by part; `total` is the dump's whole count. */
export interface Parts {
  total: number;
  byPart: Record<string, number>;
  /** The mock's own JavaScript functions (mocks/, core/), by self instructions. */
  byFunction: Record<string, number>;
}

/** Names JIT-compiled code by address: the entries of node's `--perf-basic-prof` map. */
export type CodeNames = (address: number) => string | undefined;

/** Reads a perf map ("start size name" in hex, one per line) into a lookup by address. */
export function perfMap(text: string): CodeNames {
  const entries: Array<[start: number, end: number, name: string]> = [];
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.+)$/.exec(line);
    if (m)
      entries.push([
        Number.parseInt(m[1]!, 16),
        Number.parseInt(m[1]!, 16) + Number.parseInt(m[2]!, 16),
        m[3]!,
      ]);
  }
  entries.sort((a, b) => a[0] - b[0]);
  return (address) => {
    // The last entry starting at or before the address; later entries for one address win, as code is
    // only ever added to the map.
    let lo = 0;
    let hi = entries.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid]![0] <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const e = found >= 0 ? entries[found]! : undefined;
    return e && address < e[1] ? e[2] : undefined;
  };
}

/** The part a piece of JavaScript belongs to, from its perf map name ("JS:*decide file:///…/mocks/engine.ts:222:11"). */
function jsPart(name: string): string {
  if (/\/(mocks|core)\//.test(name)) return "JavaScript: the mock's own";
  if (/ node:/.test(name)) return "JavaScript: node's own (http, streams, events)";
  return "JavaScript: other (V8 builtins in JS, the bench's server)";
}

/** "decide mocks/engine.ts" from "JS:*decide file:///…/mocks/engine.ts:222:11". */
function shortName(name: string): string {
  const m = /^JS:[*~^+-]?(\S*) (?:file:\/\/)?.*?((?:mocks|core)\/[^:]+)/.exec(name);
  return m ? `${m[1] || "(anonymous)"} ${m[2]}` : name;
}

/**
 * Sorts the function lines of `callgrind_annotate` output ("  1,234 ( 0.5%)  file:function [object]")
 * into parts. Lines that are not function lines (headers, rules, the totals line) are skipped; the
 * totals line gives `total`.
 */
export function partsOf(annotated: string, names: CodeNames = () => undefined): Parts {
  let total = 0;
  const byPart: Record<string, number> = {};
  const byFunction: Record<string, number> = {};
  for (const line of annotated.split("\n")) {
    const m = /^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(.+)$/.exec(line);
    if (!m) continue;
    const count = Number(m[1]!.replace(/,/g, ""));
    const symbol = m[2]!.trim();
    if (symbol.startsWith("PROGRAM TOTALS")) {
      total = count;
      continue;
    }
    const jit = /^\?\?\?:0x([0-9a-f]+)/.exec(symbol);
    let part: string;
    if (jit) {
      const name = names(Number.parseInt(jit[1]!, 16));
      part = name === undefined ? UNNAMED_JS : jsPart(name);
      if (name !== undefined && part === "JavaScript: the mock's own") {
        const f = shortName(name);
        byFunction[f] = (byFunction[f] ?? 0) + count;
      }
    } else part = PARTS.find(([, re]) => re.test(symbol))?.[0] ?? OTHER;
    byPart[part] = (byPart[part] ?? 0) + count;
  }
  return { total, byPart, byFunction };
}

/** The parts of one callgrind output file, through `callgrind_annotate` (every function, no threshold cut). */
export function annotate(file: string, names?: CodeNames): Parts {
  const text = execFileSync("callgrind_annotate", ["--threshold=100", file], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  return partsOf(text, names);
}

/** The work the process does for requests, without the collector and the compiler, whose share depends on when they ran. */
export function mutator(p: Parts): number {
  return p.total - (p.byPart["garbage collection"] ?? 0) - (p.byPart["JIT compiler"] ?? 0);
}
