// `npm run mutation`: runs `faultline run` against every one-defect gateway (and a short `faultline outage`
// against each outage-level one) and prints the table and the mutation score (caught / total). A mutant
// counts as caught when its expected check fails, by id, and the run exits 1.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { MUTANTS, type Mutation } from "../gateway/index.ts";
import { closeHttp } from "../suites/harness/http.ts";
import { runOutageCommand } from "./cli/outage.ts";
import { runHarness } from "./cli/run.ts";

export interface MutantOutcome {
  mutation: Mutation;
  profile: string;
  failed: string[];
  caught: boolean;
  ms: number;
  outcome: { exitCode: number; output: string };
}

/**
 * One strict `faultline run` against the reference gateway with one defect switched on. `only` narrows the
 * run to the expected check (the project's tests do, to stay fast); `npm run mutation` runs every check, so
 * its table also shows what else each defect breaks.
 */
export async function runMutant(
  m: Mutation,
  seed: number,
  reportDir: string,
  only?: string[],
): Promise<MutantOutcome> {
  const started = Date.now();
  const profile = m.profile ?? "lumenfall";
  const outcome = await runHarness({
    profile,
    defect: [m.id],
    seed,
    runs: 12,
    quiet: true,
    strict: true,
    report: reportDir,
    only,
    propertyBudgetMs: 15_000,
    // A mutant that takes the in-process gateway down never comes back: no supervisor to wait for.
    restartWaitMs: 1_000,
  });
  const failed = outcome.result?.checks.filter((c) => c.outcome === "fail").map((c) => c.id) ?? [];
  return {
    mutation: m,
    profile,
    failed,
    caught: failed.includes(m.expectedCheck) && outcome.exitCode === 1,
    ms: Date.now() - started,
    outcome,
  };
}

/**
 * One strict outage run against the built-in reference gateway with one outage-level defect switched on:
 * the mutant's scenario, at its (low) rate, for its short duration. Only traffic over time shows these.
 */
export async function runOutageMutant(m: Mutation, seed: number, reportDir: string): Promise<MutantOutcome> {
  const probe = m.outage;
  if (!probe) throw new Error(`mutant ${m.id}: not an outage-level mutant`);
  const started = Date.now();
  let profile = m.profile ?? "lumenfall";
  mkdirSync(reportDir, { recursive: true });
  if (probe.recoveryS !== undefined) {
    // A profile that gives recovery a few seconds, so a gateway that never recovers is caught in a short run.
    const file = join(reportDir, "profile.yaml");
    writeFileSync(
      file,
      `extends: ${profile}\nname: ${profile}-quick-recovery\nrecoveryS: ${probe.recoveryS}\n`,
    );
    profile = file;
  }
  const out = await runOutageCommand({
    scenario: probe.scenario,
    profile,
    rate: probe.rate,
    duration: probe.durationS,
    seed,
    defect: [m.id],
    strict: true,
    quiet: true,
    report: reportDir,
  });
  const failed = out.result.checks.filter((c) => c.outcome === "fail").map((c) => c.id);
  return {
    mutation: m,
    profile: m.profile ?? "lumenfall",
    failed,
    caught: failed.includes(m.expectedCheck) && out.exitCode === 1,
    ms: Date.now() - started,
    outcome: out,
  };
}

export function formatTable(rows: MutantOutcome[]): string {
  const w = Math.max(6, ...rows.map((r) => r.mutation.id.length));
  const lines = [`${"mutant".padEnd(w)}  profile        expected   caught  time    also failed`];
  for (const r of rows) {
    const also = r.failed.filter((f) => f !== r.mutation.expectedCheck).join(",");
    lines.push(
      `${r.mutation.id.padEnd(w)}  ${r.profile.padEnd(13)}  ${r.mutation.expectedCheck.padEnd(9)}  ${r.caught ? "yes" : "NO "}     ${`${(r.ms / 1000).toFixed(1)}s`.padEnd(6)}  ${also}`,
    );
  }
  const caught = rows.filter((r) => r.caught).length;
  lines.push("", `mutation score: ${caught}/${rows.length} (${((100 * caught) / rows.length).toFixed(0)}%)`);
  return lines.join("\n");
}

const HELP = `Usage: npm run mutation -- [options]

Runs every one-defect gateway of gateway/mutants/ and prints the mutation score.

Options:
  --only <ids>     only these mutants (comma-separated ids)
  --family <name>  only the mutants of this family
  --outage         only the outage-level mutants (each a short outage run)
  --no-outage      skip the outage-level mutants
  -h, --help       this text

Environment: FAULTLINE_SEED (default 5).
`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      family: { type: "string" },
      outage: { type: "boolean" },
      "no-outage": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const only = values.only?.split(",").filter(Boolean);
  for (const id of only ?? [])
    if (!MUTANTS.some((m) => m.id === id)) {
      process.stderr.write(
        `faultline mutation: --only: unknown mutant "${id}"; expected one of ${MUTANTS.map((m) => m.id).join(", ")}\n`,
      );
      process.exit(2);
    }
  const chosen = MUTANTS.filter(
    (m) =>
      (!only || only.includes(m.id)) &&
      (!values.family || m.family === values.family) &&
      (!values.outage || m.outage) &&
      (!values["no-outage"] || !m.outage),
  );
  if (!chosen.length) {
    process.stderr.write("faultline mutation: no mutant matches the options; see --help\n");
    process.exit(2);
  }
  const seed = Number(process.env.FAULTLINE_SEED ?? 5);
  const dir = mkdtempSync(join(tmpdir(), "faultline-mutation-"));
  process.stdout.write(`faultline mutation: ${chosen.length} one-defect gateways, seed ${seed}\n\n`);
  const queue = chosen.filter((m) => !m.outage);
  const rows: MutantOutcome[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let m = queue.shift(); m; m = queue.shift()) rows.push(await runMutant(m, seed, join(dir, m.id)));
    }),
  );
  // One at a time: an outage run is traffic at a steady rate, and a loaded machine would blur its phases.
  for (const m of chosen.filter((x) => x.outage)) rows.push(await runOutageMutant(m, seed, join(dir, m.id)));
  await closeHttp();
  rmSync(dir, { recursive: true, force: true });
  const order = chosen.map((m) => m.id);
  rows.sort((a, b) => order.indexOf(a.mutation.id) - order.indexOf(b.mutation.id));
  process.stdout.write(`${formatTable(rows)}\n`);
  process.exit(rows.every((r) => r.caught) ? 0 : 1);
}
