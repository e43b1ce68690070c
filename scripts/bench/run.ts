// `npm run bench:run`: how long a full run of every suite takes against the reference gateway, per profile,
// at the default number of runs — and, as the baseline measured in the same run, how long the same number
// of plain requests takes against the same gateway (so the ratio is Faultline's own cost per exchange).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinProfiles, loadProfile } from "../../core/profile/load.ts";
import { startBuiltin } from "../../node/builtin.ts";
import { closeHttp, send } from "../../suites/harness/http.ts";
import { chatRequest } from "../../suites/harness/requests.ts";
import { runHarness } from "../cli/run.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-bench-"));
const profiles = process.argv.slice(2).length ? process.argv.slice(2) : builtinProfiles();
const rows: Array<{ profile: string; runMs: number; exchanges: number; baselineMs: number; ratio: number }> =
  [];

for (const name of profiles) {
  const started = performance.now();
  const out = await runHarness({ profile: name, seed: 1, quiet: true, report: join(dir, name) });
  const runMs = performance.now() - started;
  const exchanges = Math.max(...(out.result?.checks.map((c) => c.evaluated) ?? [0]));

  const profile = loadProfile(name);
  const b = await startBuiltin(profile);
  const t0 = performance.now();
  const queue = Array.from({ length: exchanges }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        await send(b.target.gateway, chatRequest(profile, b.target, { text: `bench ${i}` }), 10_000);
      }
    }),
  );
  const baselineMs = performance.now() - t0;
  await b.close();
  rows.push({ profile: name, runMs, exchanges, baselineMs, ratio: runMs / baselineMs });
  process.stdout.write(
    `${name.padEnd(18)} full run ${(runMs / 1000).toFixed(1).padStart(5)} s  (${out.exitCode === 0 ? "passed" : "FAILED"}, ~${exchanges} exchanges)  baseline ${exchanges} plain requests ${(baselineMs / 1000).toFixed(2)} s  ratio ${(runMs / baselineMs).toFixed(1)}x\n`,
  );
}
await closeHttp();
rmSync(dir, { recursive: true, force: true });
const total = rows.reduce((a, r) => a + r.runMs, 0);
process.stdout.write(
  `\nall profiles: ${(total / 1000).toFixed(1)} s; target: each full run under 60 s on 2 cores\n`,
);
mkdirSync("reports", { recursive: true });
writeFileSync("reports/bench-run.json", `${JSON.stringify({ rows, totalMs: total }, null, 2)}\n`);
