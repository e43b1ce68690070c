import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

// The import rules of .dependency-cruiser.cjs (`npm run lint:deps`) run against a small project that breaks
// each of them on purpose: a rule that reported nothing there would be a silent no-op in CI.

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const depcruise = join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
const dir = mkdtempSync(join(tmpdir(), "faultline-layers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** Runs the project's own rules on the fixture, as `npm run lint:deps` does; answers the exit code and output. */
async function cruise(...folders: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [depcruise, "--config", ".dependency-cruiser.cjs", ...folders], {
      cwd: dir,
      timeout: 60_000,
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : -1, out: `${err.stdout}${err.stderr}` };
  }
}

copyFileSync(join(root, ".dependency-cruiser.cjs"), join(dir, ".dependency-cruiser.cjs"));
write({
  "tsconfig.json": JSON.stringify({
    compilerOptions: {
      module: "NodeNext",
      moduleResolution: "NodeNext",
      allowImportingTsExtensions: true,
      noEmit: true,
      verbatimModuleSyntax: true,
    },
  }),
  // A cycle carried by a type-only import: it counts (tsPreCompilationDeps).
  "suites/harness/types.ts": `import type { Check } from "../checks/registry.ts";\nexport interface Exchange { check?: Check }\n`,
  "suites/checks/registry.ts": `import type { Exchange } from "../harness/types.ts";\nexport interface Check { judge(e: Exchange): void }\n`,
  // The runner importing the list of checks instead of being handed it.
  "suites/checks/index.ts": `export const ALL: string[] = [];\n`,
  "suites/harness/runner.ts": `import { ALL } from "../checks/index.ts";\nexport const n = ALL.length;\n`,
  // A layer pointing the wrong way: core reaching into the mock.
  "mocks/journal.ts": `export const journal: string[] = [];\n`,
  "core/rng.ts": `import { journal } from "../mocks/journal.ts";\nexport const seed = journal.length;\n`,
  // Allowed: mocks on core, and a suite test file starting the node API.
  "mocks/steps.ts": `export const steps = 1;\n`,
  "core/errors.ts": `export class UsageError extends Error {}\n`,
  "mocks/plan.ts": `import { UsageError } from "../core/errors.ts";\nexport const e = new UsageError();\n`,
  "node/vitest.ts": `export const describeSuite = () => {};\n`,
  "suites/x.suite.test.ts": `import { describeSuite } from "../node/vitest.ts";\ndescribeSuite();\n`,
});

describe("import rules (dependency-cruiser)", () => {
  it("reports a cycle with its chain, a layer break and a runner importing the checks; and nothing allowed", async () => {
    const { code, out } = await cruise("core", "mocks", "suites", "node");
    expect(code).not.toBe(0);
    // The offending chain is printed, so a failing CI log says which imports to cut.
    expect(out).toMatch(
      /no-circular: suites\/checks\/registry\.ts →\s+suites\/harness\/types\.ts →\s+suites\/checks\/registry\.ts/,
    );
    expect(out).toMatch(/core-is-a-leaf: core\/rng\.ts → mocks\/journal\.ts/);
    expect(out).toMatch(
      /harness-is-handed-the-checks: suites\/harness\/runner\.ts → suites\/checks\/index\.ts/,
    );
    expect(out).not.toMatch(/mocks\/plan\.ts →|x\.suite\.test\.ts →/);
    expect(out).toMatch(/x 3 dependency violations/);
  }, 90_000);

  it("passes a tree that keeps the rules", async () => {
    rmSync(join(dir, "core/rng.ts"));
    rmSync(join(dir, "suites/harness/runner.ts"));
    write({ "suites/harness/types.ts": `export interface Exchange { status?: number }\n` });
    const { code, out } = await cruise("core", "mocks", "suites", "node");
    expect(out).toMatch(/no dependency violations found/);
    expect(code).toBe(0);
  }, 90_000);
});
