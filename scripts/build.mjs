#!/usr/bin/env node
// `npm run build` (and `prepare`, so `npm ci` and `npm pack` build too): compiles the sources to ESM
// JavaScript with declarations in dist/, so the published package needs neither tsx nor a TypeScript
// loader. Plain JavaScript on purpose: it runs before anything else is built.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sweepDead } from "./cache-sweep.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const target = join(root, "dist");
// Built beside dist/ and swapped in at the end: a process running from dist/ (the CLI's built-in mock and
// gateway children) while `npm pack` rebuilds it would otherwise find it half deleted (ERR_MODULE_NOT_FOUND).
// In node_modules/.cache, which nothing else reads (tsc, biome, vitest and depcruise skip node_modules), on
// the same file system, so the swap is a rename.
const dist = join(root, "node_modules", ".cache", `faultline-build-${process.pid}`);

// A build killed half way (SIGKILL, a power cut) leaves its directory behind: sweep those of processes that
// are gone. A live one is another build running now (npm pack inside a test run), and is left alone.
sweepDead(join(root, "node_modules", ".cache"), /^faultline-(?:build|old)-(\d+)$/);

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const built = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", dist], {
  stdio: "inherit",
});
if (built.status !== 0) {
  rmSync(dist, { recursive: true, force: true });
  process.stderr.write("faultline build: tsc failed; dist/ is left as it was\n");
  process.exit(built.status ?? 1);
}

// tsc rewrites `./x.ts` to `./x.js` in JavaScript but not in declarations (microsoft/TypeScript#61037).
// tsc itself reads either form; editors and other tools follow only files that exist, so point at them.
const relativeTs = /((?:from|import)\s*\(?\s*["']\.{1,2}\/[^"']*?)\.ts(["'])/g;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(relativeTs, "$1.js$2");
  if (fixed !== text) writeFileSync(file, fixed);
}

// The runtime finds its fixtures relative to the compiled file (core/profile/load.ts, mocks/scenario-schema.ts
// resolve `../fixtures` from where they sit), so they go where dist/ expects them.
for (const dir of ["profiles", "scenarios", "schema"]) {
  cpSync(join(root, "fixtures", dir), join(dist, "fixtures", dir), { recursive: true });
}

// bin/faultline.mjs compares this stamp with the sources to tell a stale build in a checkout.
writeFileSync(join(dist, ".built"), `${new Date().toISOString()}\n`);

// Two renames: dist/ is missing only between them, never half written.
const old = join(root, "node_modules", ".cache", `faultline-old-${process.pid}`);
if (existsSync(target)) renameSync(target, old);
renameSync(dist, target);
rmSync(old, { recursive: true, force: true });
