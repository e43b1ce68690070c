// The nesting check every YAML and JSON file of Faultline's goes through before the yaml package parses
// it (core/yaml.ts): that parser recurses once per level, and a 2 KB document of nested sequences killed
// the mock outright (V8's "RegExpCompiler Allocation failed") rather than throwing.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
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

  it("parses every shipped profile, scenario and baseline as the yaml package does", () => {
    for (const dir of ["fixtures/profiles", "fixtures/scenarios", "fixtures/baselines"]) {
      for (const f of readdirSync(dir).filter((n) => /\.(ya?ml|json)$/.test(n))) {
        const text = readFileSync(join(dir, f), "utf8");
        expect(parseYaml(text), `${dir}/${f}`).toEqual(parse(text));
      }
    }
  });
});
