// The package as a user gets it: `npm pack`, then a new, empty project installs the tarball (and the
// optional peers msw, nock and vitest) and uses it with plain node, tsc and vitest — no tsx, no
// TypeScript loader, nothing from this checkout. One pack and one install serve every test below.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const installed = (name: string) => createRequire(join(root, "package.json"))(`${name}/package.json`).version;

// What the project's own npm, tsx or vitest put in the environment must not leak into the new project.
const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !/^(npm_|VITEST|NODE_OPTIONS$|NODE_ENV$|TEST$|TSX_)/.test(k) && k !== "FORCE_COLOR",
  ),
);

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in its own process group, killed whole at its deadline. */
function exec(command: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...env, NO_COLOR: "1" }, detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      stderr += `\n[killed after ${timeoutMs} ms]`;
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const shown = (r: Ran) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

const work = mkdtempSync(join(tmpdir(), "faultline-package-"));
const app = join(work, "app");
let files: string[] = [];
let unusable: string | undefined;

beforeAll(async () => {
  try {
    await exec("npm", ["--version"], root, 30_000);
  } catch (e) {
    unusable = `npm cannot be started here (${(e as Error).message}); the package test needs npm pack`;
    process.stderr.write(`package.test.ts skipped: ${unusable}\n`);
    return;
  }
  // `npm pack` runs `prepare`, so the tarball holds a fresh build of this checkout.
  const packed = await exec("npm", ["pack", "--json", "--pack-destination", work], root, 240_000);
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${shown(packed)}`);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("[")));
  files = info.files.map((f: { path: string }) => f.path);

  mkdirSync(app);
  writeFileSync(
    join(app, "package.json"),
    '{ "name": "app", "version": "1.0.0", "type": "module", "private": true }\n',
  );
  const deps = ["msw", "nock", "vitest", "typescript", "@types/node"].map((d) => `${d}@${installed(d)}`);
  const install = await exec(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", join(work, info.filename), ...deps],
    app,
    240_000,
  );
  if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${shown(install)}`);
}, 540_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the packed package in a new project", () => {
  it("ships the build, the bin, README and LICENSE, and no tests or TypeScript sources", (ctx) => {
    if (unusable) ctx.skip(unusable);
    expect(files).toEqual(
      expect.arrayContaining(["LICENSE", "README.md", "package.json", "bin/faultline.mjs"]),
    );
    expect(files).toEqual(
      expect.arrayContaining([
        "dist/scripts/faultline.js",
        "dist/node/index.d.ts",
        "dist/fixtures/profiles/lumenfall.yaml",
        "dist/fixtures/scenarios/429-storm.yaml",
        "dist/fixtures/schema/profile.schema.json",
      ]),
    );
    expect(files.filter((f) => /\.test\.|(?<!\.d)\.ts$|^test\/|^scripts\//.test(f))).toEqual([]);
  });

  it("needs neither tsx nor the test libraries: msw, nock and vitest are optional peers", (ctx) => {
    if (unusable) ctx.skip(unusable);
    const shipped = JSON.parse(readFileSync(join(app, "node_modules/faultline/package.json"), "utf8"));
    expect(shipped.private).toBeUndefined();
    expect(shipped.license).toBe("MIT");
    expect(shipped.repository?.url).toBeTruthy();
    for (const dep of ["tsx", "msw", "nock", "vitest", "typescript"])
      expect(Object.keys(shipped.dependencies)).not.toContain(dep);
    for (const peer of ["msw", "nock", "vitest"])
      expect(shipped.peerDependenciesMeta[peer]).toEqual({ optional: true });
    expect(existsSync(join(app, "node_modules/tsx"))).toBe(false);
  });

  it("imports every entry from a plain .mjs file", async (ctx) => {
    if (unusable) ctx.skip(unusable);
    writeFileSync(
      join(app, "entries.mjs"),
      `const names = {};
for (const entry of ["faultline", "faultline/mock", "faultline/mock/msw", "faultline/mock/nock", "faultline/node", "faultline/vitest"])
  names[entry] = Object.keys(await import(entry));
console.log(JSON.stringify(names));
`,
    );
    const r = await exec(process.execPath, ["entries.mjs"], app);
    expect(r.code, shown(r)).toBe(0);
    const names = JSON.parse(r.stdout);
    expect(names.faultline).toEqual(expect.arrayContaining(["SUITES", "loadProfile", "allChecks"]));
    expect(names["faultline/mock"]).toEqual(expect.arrayContaining(["startMock", "MockEngine", "parsePlan"]));
    expect(names["faultline/mock/msw"]).toContain("faultlineHandlers");
    expect(names["faultline/mock/nock"]).toContain("faultlineNock");
    expect(names["faultline/node"]).toEqual(
      expect.arrayContaining(["run", "replay", "startMock", "startReferenceGateway"]),
    );
    expect(names["faultline/vitest"]).toContain("describeSuite");
  }, 180_000);

  it("type-checks a .ts file importing every entry: strict, NodeNext, without skipLibCheck", async (ctx) => {
    if (unusable) ctx.skip(unusable);
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          noEmit: true,
          types: ["node"],
        },
        files: ["types.ts"],
      }),
    );
    writeFileSync(
      join(app, "types.ts"),
      `import { allChecks, loadProfile, type Profile, SUITES } from "faultline";
import { type MockServer, type Plan, startMock } from "faultline/mock";
import { faultlineHandlers } from "faultline/mock/msw";
import { faultlineNock } from "faultline/mock/nock";
import { type RunOutcome, replay, run, startReferenceGateway } from "faultline/node";
import { describeSuite } from "faultline/vitest";

const profile: Profile = loadProfile("lumenfall");
const ids: string[] = allChecks().map((c) => c.id);
const mock: Promise<MockServer> = startMock({ port: 0 });
const plan: Promise<Plan> = mock.then((m) => m.engine.addPlan({ providers: { alpha: ["rate_limit", "ok"] } }));
const handlers: number = faultlineHandlers().handlers.length;
const done: () => void = faultlineNock({ baseUrl: "https://mock.faultline.test" }).done;
const outcome: Promise<RunOutcome> = run({ runs: 1, seed: 1, only: ["ENV-*"] });
const fixed: Promise<boolean> = replay("case.json").then((r) => r.fixed);
const url: Promise<string> = startReferenceGateway({ profile, mock: undefined, upstreams: [] }).then((g) => g.url);
const suites: number = SUITES.length;
export { describeSuite, done, fixed, handlers, ids, mock, outcome, plan, suites, url };
`,
    );
    const r = await exec(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "."], app);
    expect(r.code, shown(r)).toBe(0);
  }, 180_000);

  it("runs a vitest test that uses the msw adapter", async (ctx) => {
    if (unusable) ctx.skip(unusable);
    writeFileSync(
      join(app, "msw.test.ts"),
      `import { faultlineHandlers } from "faultline/mock/msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, expect, it } from "vitest";

const { engine, handlers } = faultlineHandlers({ baseUrl: "https://mock.faultline.test" });
const server = setupServer(...handlers);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

it("answers from a plan: a 429 with Retry-After, then the completion", async () => {
  const plan = engine.addPlan({ providers: { alpha: [{ step: "rate_limit", retryAfterS: 2 }, "ok"] } });
  const send = () =>
    fetch("https://mock.faultline.test/alpha/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-test" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: plan.marker }] }),
    });
  const first = await send();
  expect(first.status).toBe(429);
  expect(first.headers.get("retry-after")).toBe("2");
  const second = await send();
  expect(second.status).toBe(200);
  expect((await second.json()).object).toBe("chat.completion");
  expect(engine.journal.query({ planId: plan.id }).map((e) => e.step.step)).toEqual(["rate_limit", "ok"]);
});
`,
    );
    const r = await exec(process.execPath, ["node_modules/vitest/vitest.mjs", "run", "msw.test.ts"], app);
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout).toMatch(/1 passed/);
  }, 180_000);

  it("prints its version through npx", async (ctx) => {
    if (unusable) ctx.skip(unusable);
    const r = await exec("npx", ["faultline", "--version"], app, 60_000);
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  }, 180_000);

  it("passes `npx faultline run` against the built-in reference gateway", async (ctx) => {
    if (unusable) ctx.skip(unusable);
    const r = await exec("npx", ["faultline", "run"], app, 240_000);
    expect(r.stdout).toMatch(/built-in reference gateway/);
    expect(r.code, shown(r)).toBe(0);
    expect(existsSync(join(app, "reports/faultline/report.json"))).toBe(true);
  }, 300_000);

  it("runs every example of docs/node-api.md as written", async (ctx) => {
    if (unusable) ctx.skip(unusable);
    const doc = readFileSync(join(root, "docs/node-api.md"), "utf8");
    const examples = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const [i, code] of examples.entries()) {
      const file = `node-api-example-${i + 1}.mjs`;
      writeFileSync(join(app, file), code);
      const r = await exec(process.execPath, [file], app);
      expect(r.code, `${file}\n${shown(r)}`).toBe(0);
    }
  }, 300_000);
});
