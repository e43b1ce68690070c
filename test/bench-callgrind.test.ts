// `npm run bench:instructions` reads callgrind_annotate's output and node's perf map; both are text formats
// of other tools, so the reading is held to samples of them here (the bench itself needs valgrind and runs
// by hand).
import { describe, expect, it } from "vitest";
import { mutator, OTHER, partsOf, perfMap, UNNAMED_JS } from "../scripts/bench/callgrind.ts";

// The shape callgrind_annotate 3.19 prints: a header, the totals, then one line per function by self cost.
const ANNOTATED = `--------------------------------------------------------------------------------
Profile data file 'mock.out.1' (creator: callgrind-3.19.0)
--------------------------------------------------------------------------------
I1 cache:
Timerange: Basic block 0 - 1
Events recorded: Ir
Events shown:    Ir
Thresholds:      100
Include dirs:
User annotated:
Auto-annotation: on

--------------------------------------------------------------------------------
Ir
--------------------------------------------------------------------------------
1,000,000 (100.0%)  PROGRAM TOTALS

--------------------------------------------------------------------------------
Ir                   file:function
--------------------------------------------------------------------------------
300,000 (30.00%)  ???:0x0000000000001010 [???]
200,000 (20.00%)  ???:0x0000000000002000 [???]
150,000 (15.00%)  ???:v8::internal::JsonParser<unsigned char>::BuildJsonObject(v8::internal::JsonParser<unsigned char>::JsonContinuation) [/usr/bin/node]
100,000 (10.00%)  ???:void v8::internal::MarkingVisitorBase<v8::internal::MainMarkingVisitor<v8::internal::MarkingState>, v8::internal::MarkingState>::VisitPointers [/usr/bin/node]
 80,000 ( 8.00%)  ???:Builtins_StringAdd_CheckNone [/usr/bin/node]
 50,000 ( 5.00%)  ???:v8::internal::compiler::GraphReducer::ReduceTop() [/usr/bin/node]
 40,000 ( 4.00%)  ???:llhttp__internal_execute [/usr/bin/node]
 30,000 ( 3.00%)  ???:0x0000000000009000 [???]
 30,000 ( 3.00%)  ???:0x0000000000003000 [???]
 20,000 ( 2.00%)  ???:Builtins_KeyedLoadIC_Megamorphic [/usr/bin/node]
`;

const MAP = `1000 100 JS:*decide file:///work/main/mocks/engine.ts:222:11
2000 80 JS:*emit node:events:471:44
3000 40 JS:^parse file:///work/main/core/json-path.ts:3:1
`;

describe("reading callgrind's output for bench:instructions", () => {
  it("sorts each function's self instructions into its part, and names the mock's own JavaScript", () => {
    const p = partsOf(ANNOTATED, perfMap(MAP));
    expect(p.total).toBe(1_000_000);
    expect(p.byPart).toEqual({
      "JavaScript: the mock's own": 330_000,
      "JavaScript: node's own (http, streams, events)": 200_000,
      "JSON.parse": 150_000,
      "garbage collection": 100_000,
      "strings (build, flatten, copy, encode)": 80_000,
      "JIT compiler": 50_000,
      [OTHER]: 40_000,
      [UNNAMED_JS]: 30_000,
      "property access and calls (inline caches)": 20_000,
    });
    expect(p.byFunction).toEqual({ "decide mocks/engine.ts": 300_000, "parse core/json-path.ts": 30_000 });
    // Every instruction lands in one part.
    expect(Object.values(p.byPart).reduce((a, b) => a + b, 0)).toBe(p.total);
    // The mutator leaves out the collector and the compiler.
    expect(mutator(p)).toBe(850_000);
  });

  it("names an address only inside an entry of the perf map", () => {
    const names = perfMap(MAP);
    expect(names(0x1000)).toMatch(/decide/);
    expect(names(0x10ff)).toMatch(/decide/);
    expect(names(0x1100)).toBeUndefined();
    expect(names(0xfff)).toBeUndefined();
    expect(names(0x2050)).toMatch(/emit/);
  });

  it("without a perf map, JIT-compiled code is counted as unnamed JavaScript", () => {
    const p = partsOf(ANNOTATED);
    expect(p.byPart[UNNAMED_JS]).toBe(560_000);
    expect(p.byFunction).toEqual({});
  });
});
