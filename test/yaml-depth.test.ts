// The nesting check every YAML and JSON file of Faultline's goes through before the yaml package parses
// it (core/yaml.ts): that parser recurses once per level, and a 2 KB document of nested sequences killed
// the mock outright (V8's "RegExpCompiler Allocation failed") rather than throwing.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Document, isCollection, parse, visit } from "yaml";
import { parseYaml, YAML_MAX_DEPTH, YamlTooDeep, yamlDepthOver } from "../core/yaml.ts";

const deep = 10_000;

describe("yamlDepthOver", () => {
  it.each([
    ["compact block sequences", `${"- ".repeat(deep)}x\n`],
    ["compact block sequences with no content", `${"- ".repeat(deep)}\n`],
    ["explicit keys", `${"? ".repeat(deep)}x\n`],
    ["sequences behind anchors and tags", `${"- &a !t ".repeat(deep)}x\n`],
    [
      "mappings one space deeper a line",
      `${Array.from({ length: 3000 }, (_, i) => `${" ".repeat(i)}a:`).join("\n")} 1\n`,
    ],
    [
      "a mapping in a sequence, line after line",
      `${Array.from({ length: 2000 }, (_, i) => `${"  ".repeat(i)}- a:`).join("\n")} 1\n`,
    ],
    ["flow sequences", `${"[".repeat(deep)}${"]".repeat(deep)}`],
    ["flow behind an apostrophe in a plain scalar", `a: it's\nb: ${"[".repeat(deep)}${"]".repeat(deep)}\n`],
    ["flow with quoted closing brackets between", `[${'"]", ['.repeat(5000)}${"]".repeat(5001)}\n`],
    ["block sequences on a document marker's line", `a: 1\n--- ${"- ".repeat(deep)}x\n`],
    ["block sequences after a directive", `%YAML 1.2\n--- ${"- ".repeat(deep)}x\n`],
    ["flow after a document marker", `a: 1\n---\n${"{a: ".repeat(deep)}1${"}".repeat(deep)}\n`],
  ])("finds %s too deep, before parsing", (_name, text) => {
    expect(yamlDepthOver(text, YAML_MAX_DEPTH)).toBe(true);
    expect(() => parseYaml(text)).toThrow(YamlTooDeep);
    expect(() => parseYaml(text)).toThrow(`nested deeper than ${YAML_MAX_DEPTH} levels`);
  });

  it("counts the levels the parser builds, up to the limit and not past it", () => {
    expect(yamlDepthOver(`${"- ".repeat(63)}x\n`, 64)).toBe(false);
    expect(yamlDepthOver(`${"- ".repeat(64)}x\n`, 64)).toBe(true);
    expect(yamlDepthOver(`${"[".repeat(64)}${"]".repeat(64)}`, 64)).toBe(false);
    expect(yamlDepthOver(`${"[".repeat(65)}${"]".repeat(65)}`, 64)).toBe(true);
  });

  it("reads brackets and dashes inside quoted strings, comments and block scalars as text", () => {
    const text = [
      `quoted: "${"[".repeat(500)}"`,
      `single: '${"{".repeat(500)}'`,
      `# ${"[".repeat(500)}`,
      "block: |",
      ...Array.from({ length: 200 }, (_, i) => `  ${" ".repeat(i)}- - - [[[`),
      "after: 1",
      "",
    ].join("\n");
    expect(yamlDepthOver(text, 8)).toBe(false);
    expect((parseYaml(text) as { after: number }).after).toBe(1);
  });

  // The bound must hold for every way YAML can nest, or a text slips past it and kills the process: chains of
  // sequences and mappings, with siblings or without, written by the yaml package itself in block, flow
  // or a mix from some level down, at every indentation, sequences indented under their key or not.
  it("never counts fewer levels than the parser builds, nor twice as many", () => {
    const depthOf = (v: unknown): number =>
      v === null || typeof v !== "object"
        ? 0
        : 1 + Math.max(0, ...(Array.isArray(v) ? v : Object.values(v)).map(depthOf));
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("seq", "map", "seq+", "map+"), { minLength: 1, maxLength: 100 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.constantFrom("any", "block", "flow"),
        fc.integer({ min: 0, max: 110 }),
        (kinds, indent, indentSeq, collectionStyle, flowFrom) => {
          let v: unknown = "x";
          for (const k of kinds)
            v = k === "seq" ? [v] : k === "seq+" ? ["s", v] : k === "map" ? { a: v } : { k: "v", a: v };
          const doc = new Document(v);
          visit(doc, {
            Collection(_key, node, path) {
              if (path.filter((p) => isCollection(p)).length >= flowFrom) node.flow = true;
            },
          });
          const text = doc.toString({ indent, indentSeq, collectionStyle: collectionStyle as "any" });
          const real = depthOf(parse(text));
          expect(real).toBe(kinds.length);
          for (const max of [real - 1, Math.floor(real / 2) - 1])
            if (max >= 1) expect(yamlDepthOver(text, max)).toBe(max < real);
          expect(yamlDepthOver(text, 2 * real)).toBe(false);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("parses every shipped profile, scenario and baseline as the yaml package does", () => {
    for (const dir of ["fixtures/profiles", "fixtures/scenarios", "fixtures/baselines"]) {
      for (const f of readdirSync(dir).filter((n) => /\.(ya?ml|json)$/.test(n))) {
        const text = readFileSync(join(dir, f), "utf8");
        expect(parseYaml(text), `${dir}/${f}`).toEqual(parse(text));
      }
    }
  });
});
