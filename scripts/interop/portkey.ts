#!/usr/bin/env -S npx tsx
// `npm run interop:portkey [-- --update-baseline] [--report DIR]`: runs every suite against Portkey's
// open-source gateway on loopback and compares each check's outcome with fixtures/baselines/portkey.json.
// Exit 0: the outcomes match the baseline; 1: Portkey's behaviour moved (either way); 2: bad usage.
import { parseArgs } from "node:util";
import { closeHttp } from "../../suites/harness/http.ts";
import { describeMove, readBaseline, writeBaseline } from "./baseline.ts";
import { PORTKEY_BASELINE, PORTKEY_PROFILE, runPortkeyInterop } from "./run-portkey.ts";

function usage(message: string): never {
  process.stderr.write(
    `interop:portkey: ${message}\nusage: npm run interop:portkey -- [--update-baseline] [--seed N --runs N] [--report DIR]\n`,
  );
  process.exit(2);
}

const { values: flags } = (() => {
  try {
    return parseArgs({
      options: {
        "update-baseline": { type: "boolean" },
        seed: { type: "string" },
        runs: { type: "string" },
        report: { type: "string" },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
})();

function intFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) usage(`--${name} expected a non-negative integer, saw "${v}"`);
  return n;
}

const update = !!flags["update-baseline"];
const seed = intFlag("seed", flags.seed);
const runs = intFlag("runs", flags.runs);
const recorded = readBaseline(PORTKEY_BASELINE);
if (!update && !recorded) usage(`no baseline at ${PORTKEY_BASELINE}; record one with --update-baseline`);
if (
  !update &&
  recorded &&
  ((seed ?? recorded.seed) !== recorded.seed || (runs ?? recorded.runs) !== recorded.runs)
) {
  usage(
    `the baseline was recorded with --seed ${recorded.seed} --runs ${recorded.runs}; compare with those, or record a new one with --update-baseline`,
  );
}

const r = await runPortkeyInterop({ seed, runs, reportDir: flags.report });
await closeHttp();
const say = (s = "") => process.stdout.write(`${s}\n`);

if (!r.harness.result) {
  say(`interop:portkey: the run did not complete; Portkey's log:\n${r.gatewayLog.slice(-4_000)}`);
  process.exit(1);
}

say();
say(
  `Portkey ${r.version} · profile ${PORTKEY_PROFILE} · seed ${r.seed} · runs ${r.runs} · ${(r.durationMs / 1000).toFixed(1)} s`,
);
for (const c of r.harness.result.checks) {
  const was = r.baseline?.checks[c.id];
  const mark = was && was !== c.outcome ? `  ← baseline: ${was}` : "";
  say(`  ${c.id.padEnd(10)} ${c.outcome.padEnd(5)} ${c.title}${mark}`);
}

if (update) {
  writeBaseline(PORTKEY_BASELINE, {
    gateway: "@portkey-ai/gateway",
    version: r.version,
    profile: PORTKEY_PROFILE,
    seed: r.seed,
    runs: r.runs,
    checks: r.outcomes,
  });
  say(`interop:portkey: baseline written to ${PORTKEY_BASELINE}`);
  process.exit(0);
}
if (!r.baseline) usage(`no baseline at ${PORTKEY_BASELINE}`);
if (r.baseline.version !== r.version)
  say(`interop:portkey: note: baseline from Portkey ${r.baseline.version}, running ${r.version}`);
if (r.moves.length) {
  say(`interop:portkey: Portkey's behaviour moved from the baseline:`);
  for (const m of r.moves) say(`  ${describeMove(m)}`);
  process.exit(1);
}
say(`interop:portkey: every check matches the baseline (${Object.keys(r.outcomes).length} checks)`);
process.exit(0);
