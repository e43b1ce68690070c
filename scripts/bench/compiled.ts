// The benchmark's server child as plain JavaScript: scripts/bench/server.ts and the mock it imports,
// compiled by tsc from this checkout's sources, run by node with no TypeScript loader in the process.
//
// Why: users run the mock as compiled JavaScript (bin/faultline.mjs runs dist/; an installed package has
// no TypeScript loader at all), and a server under tsx is not that: tsx's loader (what a fork of a tsx
// script inherits: `--require preflight.cjs`, `--import loader.mjs`) brings its hooks, a module-hooks
// thread and its own heap into the process under test. Idle, the compiled mock holds about 53 MB against
// bare's 46 MB, where under tsx both held about 80; under callgrind both servers ran 1,300–1,500 more
// instructions per answer with it, and its larger heap moved when full collections fall.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sweepDead } from "../cache-sweep.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
/** In node_modules/.cache, as scripts/build.mjs builds: the compiled files find the packages from there. */
const cache = join(root, "node_modules", ".cache");
const PREFIX = "faultline-bench-";

let compiled: string | undefined;

/**
 * Compiles server.ts and what it imports, once per bench process, and answers the compiled file's path.
 * The directory goes when this process exits; ones left by a bench that was killed are swept here.
 */
export function compiledServer(): string {
  if (compiled) return compiled;
  sweepDead(cache, new RegExp(`^${PREFIX}(\\d+)$`));
  const dir = join(cache, `${PREFIX}${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  // The build's options (tsconfig.build.json: ES2022, `.ts` imports rewritten to `.js`), so the bench runs
  // the JavaScript users run. No type check: `npm run typecheck` does that, and it would take ten times as long.
  const out = join(dir, "out");
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: join(root, "tsconfig.build.json"),
      compilerOptions: { rootDir: root, outDir: out, declaration: false, noCheck: true },
      include: [],
      files: [join(here, "server.ts")],
    }),
  );
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], {
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.status !== 0) {
    throw new Error(
      `compiling the bench server failed (tsc exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`,
    );
  }
  // The mock finds its fixtures beside its compiled files (mocks/scenario-schema.ts), as in dist/.
  symlinkSync(join(root, "fixtures"), join(out, "fixtures"), "dir");
  compiled = join(out, "scripts", "bench", "server.js");
  return compiled;
}
