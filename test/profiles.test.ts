import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtinProfiles, loadProfile, PROFILE_DIR } from "../core/profile/load.ts";
import { type CatalogueEntry, familyNames, familyProfile } from "../core/profile/schema.ts";
import { profileJsonSchema, SCHEMA_FILE } from "../scripts/profile-schema.ts";

// The built-in profiles: they load, every source names the public document it quotes (or the rule of
// docs/contract.md Faultline decided), `extends:` lets a user write only what differs, a broken profile is
// refused by field, and the editor schema is current.
const ALL = builtinProfiles();

// Local copies of the five documented gateways' public error pages, kept beside the checkout; where they
// are present, every quotation of a profile's documentation must be found in its copy word for word.
const COPIES = {
  lumenfall: "000",
  lemondata: "001",
  "meta-envelope": "002",
  "data-envelope": "003",
  llmapi: "004",
} as const;
const COPY_DIR = resolve(PROFILE_DIR, "../../../shared/seeds");

/** References that only make sense inside the workspace the profiles were first written in. */
const NOT_PUBLIC = [
  /shared\//,
  /CONTRACTS\.md/,
  /\b\d{3}_[0-9a-f]{16}\.txt\b/,
  /^seed:/m,
  /\b(?:line|lines|Line|Lines) \d+/,
  /\b00\d (?:line|lines)\b/,
];

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

/** Every `source:` in a profile (catalogue, exhaustion, families, idempotency, tasks …), with its path. */
function sources(node: unknown, at = ""): Array<[string, string]> {
  if (typeof node !== "object" || node === null) return [];
  return Object.entries(node).flatMap(
    ([k, v]): Array<[string, string]> =>
      k === "source" && typeof v === "string" ? [[at, v]] : sources(v, at ? `${at}.${k}` : k),
  );
}

/** The sentences a source quotes from `doc`: every "…" after `doc:`. */
function quotesOf(source: string, doc: string): string[] {
  const at = source.indexOf(`${doc}: `);
  if (at < 0) return [];
  return [...source.slice(at + doc.length + 1).matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

/** Quotes compared as text: typographic quotes, table cell bars and line breaks do not count. */
function norm(s: string): string {
  return s
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s*\|\s*/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

describe("built-in profiles", () => {
  it.each(ALL)("%s loads, names its documentation, and every family resolves", (name) => {
    const p = loadProfile(name);
    expect(p.name).toBe(name);
    expect(p.documentation, `${name}: documentation`).toMatch(/\S/);
    for (const f of familyNames(p)) {
      const fp = familyProfile(p, f);
      for (const code of [fp.exhaustion.codes, fp.upstreamError.code].flat())
        expect(fp.catalogue[code]).toBeDefined();
    }
  });

  it.each(ALL)("%s starts with the editor's schema line", (name) => {
    const text = readFileSync(join(PROFILE_DIR, `${name}.yaml`), "utf8");
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../schema/profile.schema.json");
  });

  it.each(ALL)(
    "%s cites only what a reader of the project can open: no workspace files, no line numbers",
    (name) => {
      const text = readFileSync(join(PROFILE_DIR, `${name}.yaml`), "utf8");
      for (const re of NOT_PUBLIC) expect.soft(text, `${name}: ${re}`).not.toMatch(re);
    },
  );

  // A source either quotes the gateway's documentation (`<its name>: "the sentence"`) or names the rule
  // Faultline decided where the documentation is silent (`docs/contract.md §N`).
  it.each(ALL)("every %s source quotes its documentation or cites docs/contract.md §N", (name) => {
    const p = loadProfile(name);
    const doc = p.documentation!;
    const all = sources(p);
    expect(all.length).toBeGreaterThan(0);
    for (const [at, source] of all) {
      const quoted = source.startsWith(`${doc}: "`) && quotesOf(source, doc).length > 0;
      const decided = /docs\/contract\.md §\d+/.test(source);
      expect.soft(quoted || decided, `${name} ${at}: "${source}"`).toBe(true);
    }
  });

  it.skipIf(!existsSync(COPY_DIR)).each(Object.entries(COPIES))(
    "%s: every quotation is found in the documentation, and a code the page spells out is quoted",
    (name, copy) => {
      const file = readdirSync(COPY_DIR).find((f) => f.startsWith(`${copy}_`))!;
      const page = readFileSync(join(COPY_DIR, file), "utf8");
      const text = norm(page);
      const p = loadProfile(name);
      for (const [at, source] of sources(p)) {
        for (const q of quotesOf(source, p.documentation!))
          for (const part of q.split("…").map(norm).filter(Boolean))
            expect.soft(text.includes(part), `${name} ${at}: "${part}" is not on the page`).toBe(true);
      }
      // Tables run columns together ("AUTHENTICATION_FAILED401"): what follows a code may touch it unless it
      // could continue it (IMAGE_TASK_NOT_FOUND does not name NOT_FOUND).
      for (const [where, e] of entries(name)) {
        const code = where.split(".").at(-1)!;
        const goesOn = /[a-z]/.test(code) ? "[a-z_]" : "[A-Z_]";
        const names = new RegExp(`(^|[^A-Za-z_])${code}(?!${goesOn})`);
        if (!names.test(page)) continue;
        const quoted = quotesOf(e.source, p.documentation!).some((q) => names.test(q));
        expect.soft(quoted, `${name} ${where}: "${e.source}" quotes no sentence naming ${code}`).toBe(true);
      }
    },
  );

  it("reads the deprecated `seed:` as `documentation:`", () => {
    const file = writeProfile(
      "old.yaml",
      "extends: lumenfall\nname: old\ndocumentation: null\nseed: our errors page\n",
    );
    expect(loadProfile(file).documentation).toBe("our errors page");
    const both = writeProfile("both.yaml", "extends: lumenfall\nname: both\nseed: old name\n");
    expect(loadProfile(both).documentation).toBe(loadProfile("lumenfall").documentation);
    expect(loadProfile(both)).not.toHaveProperty("seed");
  });
});

// Anthropic's Messages API as a gateway's front door: the status ↔ type table of the Claude API reference,
// "Errors", each entry quoting its own row, in Anthropic's envelope, with Anthropic's credential header.
describe("anthropic-compatible", () => {
  const p = loadProfile("anthropic-compatible");
  const TABLE: Record<string, number> = {
    invalid_request_error: 400,
    authentication_error: 401,
    billing_error: 402,
    permission_error: 403,
    not_found_error: 404,
    request_too_large: 413,
    rate_limit_error: 429,
    api_error: 500,
    timeout_error: 504,
    overloaded_error: 529,
  };

  it("has every type of the page's table, each at its status and quoting its own row", () => {
    expect(Object.keys(p.catalogue).sort()).toEqual(Object.keys(TABLE).sort());
    for (const [type, status] of Object.entries(TABLE)) {
      const e = p.catalogue[type]!;
      expect([e.status].flat()[0], type).toBe(status);
      expect(e.source, type).toContain(`"${status} - ${type}: `);
    }
  });

  it("answers in Anthropic's envelope, takes x-api-key, and names the request-id header", () => {
    expect(p.envelope).toMatchObject({
      code: "error.type",
      message: "error.message",
      fixed: { type: "error" },
    });
    expect(p.auth).toEqual({ header: "x-api-key", scheme: "raw" });
    expect(p.endpoints.chat).toEqual({ method: "POST", path: "/v1/messages", dialect: "anthropic" });
    expect(p.requestId).toMatchObject({ header: "request-id" });
    expect(p.conditions["request.too_large"]).toBe("request_too_large");
    expect(p.exhaustion.codes).toContain("overloaded_error");
    expect(p.exhaustion.statuses).toContain(529);
  });
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
