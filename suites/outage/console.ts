import type { OutageResult } from "./result.ts";

const pad = (s: string | number, n: number) => String(s).padStart(n);

/** The console's account of a run: one line per phase, the failing checks, the verdict. */
export function formatOutage(r: OutageResult): string {
  if (r.setup?.length) {
    return [
      "faultline outage: SETUP ERROR — no outage was played:",
      ...r.setup.map((s) => `  ${s.id}: ${s.message}\n    fix: ${s.fix}`),
    ].join("\n");
  }
  const w = Math.max(5, ...r.phases.map((p) => p.name.length));
  const lines = [
    "",
    `${"phase".padEnd(w)}  window (s)      sent  2xx/s   p50 ms   p99 ms  att/req  max  +wait ms  failed checks`,
    ...r.phases.map(
      (p) =>
        `${p.name.padEnd(w)}  ${`${p.startS}–${p.endS}`.padEnd(12)} ${pad(p.sent, 7)} ${pad(p.goodputPerS, 6)} ${pad(
          p.latencyMs.p50,
          8,
        )} ${pad(p.latencyMs.p99, 8)} ${pad(p.attemptsPerRequest.mean, 8)} ${pad(p.attemptsPerRequest.max, 4)} ${pad(
          p.addedWaitMs.mean,
          9,
        )}  ${p.failed.map((f) => `${f.id}×${f.count}`).join(", ") || (p.passed ? "none" : "")}`,
    ),
    "",
  ];
  for (const c of r.checks.filter(
    (x) => x.outcome === "fail" || (x.id === "REC-001" && x.outcome !== "pass"),
  )) {
    lines.push(`${c.outcome === "fail" ? "FAIL" : c.outcome.toUpperCase()} ${c.id} (${c.level}) ${c.title}`);
    lines.push(`  ${c.sentence}`);
    if (c.reason) lines.push(`  ${c.reason}`);
    for (const v of r.violations.filter((x) => x.checkId === c.id).slice(0, 2)) {
      lines.push(`  in ${v.phase}: expected ${v.expected}`, `    received ${v.received}`);
      if (v.caseFile) lines.push(`    case: ${v.caseFile}`);
    }
    lines.push(`  fix: ${c.fix}`);
  }
  const rec = r.recovery;
  lines.push(
    `recovery: providers healthy from ${rec.startS} s; ${
      rec.recoveredAfterS !== undefined
        ? `the gateway served 2xx steadily ${rec.recoveredAfterS} s later (budget ${rec.budgetS} s)`
        : rec.received
    }`,
  );
  if (r.engine.heldBack || r.engine.maxLagMs > 1_000)
    lines.push(
      `note: the ${r.engine.engine} engine fell behind (held back ${r.engine.heldBack}, worst lag ${r.engine.maxLagMs} ms): lower --rate or use --engine artillery`,
    );
  if (r.journal.dropped)
    lines.push(
      `note: the mock's journal let ${r.journal.dropped} entries go before they were read (its cap): attempts per request may be undercounted`,
    );
  lines.push(`faultline outage: ${r.verdict.summary}`);
  return lines.join("\n");
}
