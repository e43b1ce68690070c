// `npm run bench:help [-- RUNS]`: how long `faultline --help` and `--version` take to start, as a user
// runs them (`node bin/faultline.mjs`, a fresh process each time, wall time), against the baseline of
// starting node itself (`node -e 0`) measured in the same run, interleaved so load on the machine hits
// all three alike. It builds, then lays out the package as npm installs it (dist/, bin/, package.json and
// no sources, so the bin never falls back to tsx however the checkout changes meanwhile).
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, round, table } from "./stats.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const runs = Number(process.argv[2] ?? 21);
if (!Number.isInteger(runs) || runs < 1 || runs > 500) {
  process.stderr.write(`bench:help: expected a number of runs between 1 and 500, saw "${process.argv[2]}"\n`);
  process.exit(2);
}

const build = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
const installed = mkdtempSync(join(tmpdir(), "faultline-bench-help-"));
for (const part of ["dist", "bin", "package.json"])
  cpSync(join(root, part), join(installed, part), { recursive: true });
symlinkSync(join(root, "node_modules"), join(installed, "node_modules"));
process.on("exit", () => rmSync(installed, { recursive: true, force: true }));

const commands: Record<string, string[]> = {
  "node -e 0": ["-e", "0"],
  "faultline --help": [join(installed, "bin/faultline.mjs"), "--help"],
  "faultline --version": [join(installed, "bin/faultline.mjs"), "--version"],
};

/** Wall time of one run, in ms; fails loudly if the command does. */
function time(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: "ignore", timeout: 30_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status ?? r.signal}`);
  return ms;
}

const samples = new Map(Object.keys(commands).map((k) => [k, [] as number[]]));
for (let i = 0; i < runs; i++)
  for (const [name, args] of Object.entries(commands)) samples.get(name)!.push(time(args));

const base = median(samples.get("node -e 0")!);
const rows: Array<Array<string | number>> = [["command", "median ms", "min ms", "over node -e 0, ms"]];
for (const [name, xs] of samples)
  rows.push([name, round(median(xs), 1), round(Math.min(...xs), 1), round(median(xs) - base, 1)]);
process.stdout.write(`${runs} runs each, interleaved\n${table(rows)}\n`);
