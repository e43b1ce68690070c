// `npm run mutation`: runs `faultline run` against every one-defect gateway and prints the table and the
// mutation score (caught / total). A mutant counts as caught when its expected check fails, by id.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MUTATIONS, type Mutation } from "../gateway/index.ts";
import { closeHttp } from "../suites/harness/http.ts";
import { type HarnessOutcome, runHarness } from "./cli/run.ts";

export interface MutantOutcome {
  mutation: Mutation;
  profile: string;
  failed: string[];
  caught: boolean;
  ms: number;
  outcome: HarnessOutcome;
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seed = Number(process.env.FAULTLINE_SEED ?? 5);
  const dir = mkdtempSync(join(tmpdir(), "faultline-mutation-"));
  process.stdout.write(`faultline mutation: ${MUTATIONS.length} one-defect gateways, seed ${seed}\n\n`);
  const queue = [...MUTATIONS];
  const rows: MutantOutcome[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let m = queue.shift(); m; m = queue.shift()) rows.push(await runMutant(m, seed, join(dir, m.id)));
    }),
  );
  await closeHttp();
  rmSync(dir, { recursive: true, force: true });
  rows.sort((a, b) => MUTATIONS.indexOf(a.mutation) - MUTATIONS.indexOf(b.mutation));
  process.stdout.write(`${formatTable(rows)}\n`);
  process.exit(rows.every((r) => r.caught) ? 0 : 1);
}
