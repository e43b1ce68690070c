#!/usr/bin/env node
// The `faultline` command: the compiled dist/ run by plain node, in this same process (so SIGINT and
// SIGTERM reach the code that closes the servers). In a checkout whose sources changed since the last
// `npm run build`, the sources run through tsx instead, so a stale build is never what you run.
import { existsSync, readdirSync, statSync } from "node:fs";

const root = new URL("../", import.meta.url);
const entry = new URL("dist/scripts/faultline.js", root);
const stamp = new URL("dist/.built", root);
// What the build reads (tsconfig.build.json and scripts/build.mjs), tests aside.
const SOURCES = [
  "core",
  "gateway",
  "node",
  "mocks",
  "suites",
  "scripts/cli",
  "fixtures/profiles",
  "fixtures/scenarios",
];

function newestSourceMs() {
  let newest = statSync(new URL("scripts/faultline.ts", root)).mtimeMs;
  for (const dir of SOURCES) {
    const at = new URL(`${dir}/`, root);
    if (!existsSync(at)) continue;
    for (const e of readdirSync(at, { recursive: true, withFileTypes: true })) {
      if (e.isFile() && !e.name.endsWith(".test.ts"))
        newest = Math.max(newest, statSync(`${e.parentPath}/${e.name}`).mtimeMs);
    }
  }
  return newest;
}

const checkout = existsSync(new URL("scripts/faultline.ts", root));
const built = existsSync(stamp);
if (!checkout || (built && statSync(stamp).mtimeMs >= newestSourceMs())) {
  await import(entry.href);
} else {
  const tsx = await import("tsx/esm/api").catch(() => undefined);
  if (tsx) {
    tsx.register();
    await import(new URL("scripts/faultline.ts", root).href);
  } else if (built) {
    await import(entry.href);
  } else {
    process.stderr.write(
      "faultline: dist/ is missing and tsx is not installed; run `npm ci` or `npm run build`\n",
    );
    process.exit(2);
  }
}
