import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { profileJsonSchema, SCHEMA_FILE } from "../scripts/profile-schema.ts";
import { builtinProfiles, loadProfile, PROFILE_DIR } from "../suites/profile/load.ts";
import { type CatalogueEntry, familyNames, familyProfile } from "../suites/profile/schema.ts";

// The five seed systems' profiles: they load, every code cites the seed line it came from, `extends:`
// lets a user write only what differs, a broken profile is refused by field, and the editor schema is current.
const SEED_PROFILES = {
  lumenfall: "000",
  lemondata: "001",
  "meta-envelope": "002",
  "data-envelope": "003",
  llmapi: "004",
} as const;
const SEED_DIR = resolve(PROFILE_DIR, "../../../shared/seeds");
const CITATION = /\b(00\d) lines? (\d+)(?:-(\d+))?/g;

const scratch = mkdtempSync(join(tmpdir(), "faultline-profiles-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function writeProfile(name: string, text: string): string {
  const file = join(scratch, name);
  writeFileSync(file, text);
  return file;
}

/** Every catalogue entry of a profile, its families' included, with where it sits. */
function entries(name: string): Array<[string, CatalogueEntry]> {
  const p = loadProfile(name);
  const top = Object.entries(p.catalogue).map(([code, e]): [string, CatalogueEntry] => [code, e]);
  const fam = Object.entries(p.families).flatMap(([f, fd]) =>
    Object.entries(fd.catalogue ?? {}).map(([code, e]): [string, CatalogueEntry] => [`${f}.${code}`, e]),
  );
  return [...top, ...fam];
}

/** The lines a source cites: "002 line 47", "001 lines 43-46", "003 line 52 … (line 54)". */
function citedLines(source: string): { seed?: string; lines: number[] } {
  const lines: number[] = [];
  let seed: string | undefined;
  for (const m of source.matchAll(CITATION)) {
    seed ??= m[1];
    const from = Number(m[2]);
    const to = m[3] ? Number(m[3]) : from;
    for (let n = from; n <= to; n++) lines.push(n);
  }
  for (const m of source.matchAll(/\(lines? (\d+)(?:-(\d+))?\)|, lines? (\d+)(?:-(\d+))?/g)) {
    const from = Number(m[1] ?? m[3]);
    const to = Number(m[2] ?? m[4] ?? from);
    for (let n = from; n <= to; n++) lines.push(n);
  }
  return { seed, lines };
}

describe("built-in profiles", () => {
  it.each(Object.keys(SEED_PROFILES))("%s loads, with every family resolvable", (name) => {
    const p = loadProfile(name);
    expect(p.name).toBe(name);
    expect(builtinProfiles()).toContain(name);
    for (const f of familyNames(p)) {
      const fp = familyProfile(p, f);
      for (const code of [fp.exhaustion.codes, fp.upstreamError.code].flat())
        expect(fp.catalogue[code]).toBeDefined();
    }
  });

  it.each(Object.keys(SEED_PROFILES))("%s starts with the editor's schema line", (name) => {
    const text = readFileSync(join(PROFILE_DIR, `${name}.yaml`), "utf8");
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../schema/profile.schema.json");
  });

  // A code the seed never mentions (a state conflict the seed is silent on) may instead cite the
  // CONTRACTS.md decision it comes from.
  it.each(Object.entries(SEED_PROFILES))("every %s catalogue entry cites a line of seed %s", (name, seed) => {
    expect(loadProfile(name).seed?.startsWith(seed)).toBe(true);
    for (const [code, e] of entries(name)) {
      const cited = citedLines(e.source);
      if (cited.seed === undefined && /^CONTRACTS\.md §\d+/.test(e.source)) continue;
      expect.soft(cited.seed, `${name} ${code}: "${e.source}"`).toBe(seed);
      expect.soft(cited.lines.length, `${name} ${code}: "${e.source}"`).toBeGreaterThan(0);
    }
  });

  // The seeds sit beside the repository (../shared/seeds); a checkout without them still runs the tests above.
  it.skipIf(!existsSync(SEED_DIR)).each(Object.entries(SEED_PROFILES))(
    "%s: a code the seed spells out is cited at a line that names it",
    (name) => {
      const file = loadProfile(name).seed!;
      const seedLines = readFileSync(join(SEED_DIR, file), "utf8").split("\n");
      for (const [where, e] of entries(name)) {
        const code = where.split(".").at(-1)!;
        // Seed tables run columns together ("AUTHENTICATION_FAILED401", "UPSTREAM_ERRORvaries"): what follows a
        // code may touch it unless it could continue it (IMAGE_TASK_NOT_FOUND does not name NOT_FOUND).
        const goesOn = /[a-z]/.test(code) ? "[a-z_]" : "[A-Z_]";
        const names = new RegExp(`(^|[^A-Za-z_])${code}(?!${goesOn})`);
        const { lines } = citedLines(e.source);
        for (const n of lines)
          expect.soft(n, `${name} ${where}: line ${n}`).toBeLessThanOrEqual(seedLines.length);
        if (!seedLines.some((l) => names.test(l))) continue;
        const hit = lines.some((n) => names.test(seedLines[n - 1] ?? ""));
        expect.soft(hit, `${name} ${where}: "${e.source}" cites no line naming ${code}`).toBe(true);
      }
    },
  );
});

describe("extends", () => {
  it("overrides scalars and maps, replaces lists, and keeps what the child leaves out", () => {
    const file = writeProfile(
      "mine.yaml",
      [
        "extends: meta-envelope",
        "name: my-gateway",
        "exhaustion:",
        "  statuses: [503]",
        "catalogue:",
        "  TEAPOT: { status: 418, source: 'ours: RFC 2324' }",
        "conditions:",
        "  model.disabled: TEAPOT",
        "limits: { maxBodyBytes: 1024 }",
      ].join("\n"),
    );
    const p = loadProfile(file);
    const base = loadProfile("meta-envelope");
    expect(p.name).toBe("my-gateway");
    expect(p.exhaustion.statuses).toEqual([503]);
    expect(p.exhaustion.codes).toEqual(base.exhaustion.codes);
    expect(p.catalogue.TEAPOT?.status).toBe(418);
    expect(p.catalogue.MISSING_API_KEY).toEqual(base.catalogue.MISSING_API_KEY);
    expect(p.conditions["model.disabled"]).toBe("TEAPOT");
    expect(p.conditions["auth.missing"]).toBe("MISSING_API_KEY");
    expect(p.fieldCodes).toEqual(base.fieldCodes);
    expect(p.limits.maxBodyBytes).toBe(1024);
  });

  it("reaches into families: a child changes one family's path and keeps the rest", () => {
    const file = writeProfile(
      "lemon-proxy.yaml",
      [
        "extends: lemondata",
        "name: lemon-proxy",
        "families:",
        "  anthropic:",
        "    endpoints:",
        "      chat: { path: /anthropic/v1/messages }",
      ].join("\n"),
    );
    const p = loadProfile(file);
    expect(p.families.anthropic?.endpoints.chat).toMatchObject({
      path: "/anthropic/v1/messages",
      dialect: "anthropic",
    });
    expect(p.families.anthropic?.envelope).toEqual(loadProfile("lemondata").families.anthropic?.envelope);
    expect(p.families.gemini).toEqual(loadProfile("lemondata").families.gemini);
  });

  it("chains through a file that itself extends, and refuses a cycle", () => {
    const middle = writeProfile(
      "middle.yaml",
      "extends: llmapi\nname: middle\nlimits: { maxBodyBytes: 2048 }\n",
    );
    const leaf = writeProfile("leaf.yaml", `extends: ${middle}\nname: leaf\n`);
    expect(loadProfile(leaf)).toMatchObject({ name: "leaf", limits: { maxBodyBytes: 2048 } });
    const a = join(scratch, "a.yaml");
    writeProfile("b.yaml", `extends: ${a}\nname: b\n`);
    writeProfile("a.yaml", `extends: ${join(scratch, "b.yaml")}\nname: a\n`);
    expect(() => loadProfile(a)).toThrow(/"extends" cycle/);
  });
});

describe("invalid profiles are refused, naming the field", () => {
  const base = readFileSync(join(PROFILE_DIR, "meta-envelope.yaml"), "utf8");
  const cases: Array<[string, string, RegExp]> = [
    [
      "a condition mapped to an unknown code",
      "conditions:\n  auth.missing: NOPE",
      /profile\.conditions\.auth\.missing: code "NOPE" is not in the catalogue/,
    ],
    [
      "a field code not in the catalogue",
      "fieldCodes:\n  temperature: NOPE",
      /profile\.fieldCodes\.temperature: code "NOPE"/,
    ],
    [
      "an envelope path that is not a dotted path",
      "envelope:\n  field: 'error..field'",
      /profile\.envelope\.field: a dotted path/,
    ],
    ["an unknown condition", "conditions:\n  auth.sideways: INVALID_API_KEY", /profile\.conditions/],
    [
      "a catalogue entry without a source",
      "catalogue:\n  TEAPOT: { status: 418 }",
      /profile\.catalogue\.TEAPOT\.source/,
    ],
    [
      "a status out of range",
      "catalogue:\n  TEAPOT: { status: 999, source: x }",
      /profile\.catalogue\.TEAPOT\.status/,
    ],
    ["an unknown top-level key", "retryafter: { level: must }", /retryafter/],
  ];
  it.each(cases)("%s", (_, override, message) => {
    const file = writeProfile(
      `bad-${Math.random().toString(36).slice(2)}.yaml`,
      `extends: meta-envelope\n${override}\n`,
    );
    expect(() => loadProfile(file)).toThrow(message);
    expect(base).toContain("MISSING_API_KEY");
  });

  it("checks a family's codes against the catalogue the family sees", () => {
    const file = writeProfile(
      "bad-family.yaml",
      "extends: llmapi\nfamilies:\n  gemini:\n    conditions:\n      auth.missing: MISSING\n",
    );
    expect(() => loadProfile(file)).toThrow(
      /profile\.families\.gemini\.conditions\.auth\.missing: code "MISSING"/,
    );
  });
});

describe("JSON Schema for editors", () => {
  it("is generated from the zod schema and committed up to date (npm run profile-schema)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(profileJsonSchema());
  });

  it("knows every top-level key a profile file may use, `extends` included", () => {
    const schema = JSON.parse(profileJsonSchema()) as {
      properties: Record<string, unknown>;
      additionalProperties?: boolean;
    };
    expect(schema.additionalProperties).toBe(false);
    for (const key of [
      "extends",
      "envelope",
      "catalogue",
      "conditions",
      "families",
      "fieldCodes",
      "limits",
      "requestId",
    ]) {
      expect(schema.properties).toHaveProperty(key);
    }
  });
});
