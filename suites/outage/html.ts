import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { OutageResult } from "./result.ts";

const require = createRequire(import.meta.url);

/** uPlot (MIT, github.com/leeoniya/uPlot), read from node_modules at render time and inlined. */
function uplot(): { js: string; css: string } {
  return {
    js: readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
    css: readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
  };
}

const esc = (s: unknown) =>
  String(s).replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** JSON that is safe inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, "\\u003c");

/** The charts: one per series, sharing the time axis, phases shaded (outage red, recovered green). */
export const CHARTS = [
  { id: "goodput", label: "goodput (2xx/s)", key: "goodput", colour: "#1b7f3b" },
  { id: "violations", label: "violations/s", key: "violations", colour: "#c0392b" },
  { id: "p99", label: "p99 latency (ms)", key: "p99Ms", colour: "#1f5fae" },
  { id: "attempts", label: "upstream attempts per request", key: "attemptsPerRequest", colour: "#8a4fbf" },
] as const;

function phaseRows(r: OutageResult): string {
  return r.phases
    .map((p) => {
      const cell = (field: string, v: unknown) => `<td data-field="${field}">${esc(v)}</td>`;
      const failed = p.failed.map((f) => `${f.id} (${f.level}) ×${f.count}`).join(", ") || "none";
      return `<tr data-phase="${esc(p.name)}" class="${p.passed ? "pass" : "fail"}">
<th>${esc(p.name)}</th>${cell("window", `${p.startS}–${p.endS} s`)}${cell("sent", p.sent)}${cell("goodputPerS", p.goodputPerS)}${cell(
        "p50",
        p.latencyMs.p50,
      )}${cell("p99", p.latencyMs.p99)}${cell("attemptsMean", p.attemptsPerRequest.mean)}${cell(
        "attemptsMax",
        p.attemptsPerRequest.max,
      )}${cell("addedWaitMean", p.addedWaitMs.mean)}${cell("unreached", p.unreached)}${cell("failed", failed)}${cell(
        "verdict",
        p.passed ? "pass" : "FAIL",
      )}</tr>`;
    })
    .join("\n");
}

function checkRows(r: OutageResult): string {
  return r.checks
    .filter((c) => c.outcome !== "not_exercised")
    .map(
      (c) =>
        `<tr data-check="${esc(c.id)}" class="${c.outcome === "fail" ? "fail" : ""}"><th>${esc(c.id)}</th><td>${esc(
          c.level,
        )}</td><td data-field="outcome">${esc(c.outcome)}</td><td data-field="failures">${c.failures}</td><td>${esc(
          Object.entries(c.byPhase)
            .map(([p, n]) => `${p}: ${n}`)
            .join(", "),
        )}</td><td>${esc(c.title)}</td></tr>`,
    )
    .join("\n");
}

function violationItems(r: OutageResult): string {
  return r.violations
    .map(
      (v) =>
        `<li><b>${esc(v.checkId)}</b> in ${esc(v.phase)}: expected ${esc(v.expected)}; received ${esc(v.received)}${
          v.caseFile ? ` — <code>${esc(v.caseFile)}</code>` : ""
        }</li>`,
    )
    .join("\n");
}

/** A self-contained page: data, charting library and drawing code inline; it loads nothing. */
export function renderOutageHtml(r: OutageResult): string {
  const lib = uplot();
  const title = `Faultline outage: ${r.scenario.name} against ${r.gateway}`;
  const recovered =
    r.recovery.recoveredAfterS !== undefined
      ? `${r.recovery.recoveredAfterS} s after the providers recovered (budget ${r.recovery.budgetS} s)`
      : esc(r.recovery.received);
  const verdict = r.interrupted ? "INTERRUPTED" : r.verdict.exitCode === 0 ? "PASSED" : "FAILED";
  const partial = r.interrupted
    ? `<p id="interrupted" class="INTERRUPTED">Interrupted by ${esc(r.interrupted.signal)} after ${r.interrupted.afterS} s: a partial run, ${r.phases.length} of ${r.scenario.phases.length} phases played.</p>`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<style>${lib.css}
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px;margin:0 0 4px}.verdict{font-weight:bold;padding:2px 8px;border-radius:4px}
.PASSED{background:#d9f2df;color:#125a2a}.FAILED{background:#f8d7d3;color:#8a1f11}.INTERRUPTED{background:#fbeccb;color:#6b4a00}
table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{text-align:left}tr.fail th{color:#8a1f11}#checks td:nth-child(5),#checks td:nth-child(6),#phases td[data-field=failed]{text-align:left}.legend span{display:inline-block;margin-right:14px}
.sw{display:inline-block;width:12px;height:12px;vertical-align:middle;margin-right:4px}
.chart{margin:8px 0}</style></head>
<body>
<h1>${esc(title)}</h1>
<p><span id="verdict" class="verdict ${verdict}">${verdict}</span>
${esc(r.scenario.description)}</p>
${partial}
<p>Profile <b>${esc(r.profile)}</b>, model <code>${esc(r.model)}</code>, engine ${esc(r.engine.engine)}, ${r.rate} requests/s for
<span id="duration">${r.durationS}</span> s, seed ${r.seed}. Recovery: <span id="recovery">${recovered}</span>.</p>
<p class="legend"><span><i class="sw" style="background:#f6d5d0"></i>outage phase</span><span><i class="sw" style="background:#d6efdb"></i>providers healthy</span><span><i class="sw" style="background:#555"></i>providers recover</span></p>
<div id="charts"></div>
<h2>Phases</h2>
<table id="phases"><thead><tr><th>phase</th><th>window</th><th>sent</th><th>goodput (2xx/s)</th><th>p50 ms</th><th>p99 ms</th><th>attempts/request</th><th>max attempts</th><th>added wait ms (mean)</th><th>answered without an attempt</th><th>failed checks</th><th>verdict</th></tr></thead>
<tbody>${phaseRows(r)}</tbody></table>
<h2>Checks</h2>
<table id="checks"><thead><tr><th>check</th><th>level</th><th>outcome</th><th>failures</th><th>by phase</th><th>title</th></tr></thead>
<tbody>${checkRows(r)}</tbody></table>
${r.violations.length ? `<h2>Violations (examples, each with a replayable case file)</h2><ul id="violations">${violationItems(r)}</ul>` : ""}
<p>${esc(r.verdict.summary)}</p>
<script id="outage-data" type="application/json">${scriptJson(r)}</script>
<script>${lib.js}</script>
<script>
(function () {
  var r = JSON.parse(document.getElementById("outage-data").textContent);
  var charts = ${scriptJson(CHARTS)};
  var xs = r.timeline.map(function (p) { return p.t + 0.5; });
  function shade(u) {
    var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
    (r.phases.length ? r.phases : r.scenario.phases).forEach(function (p) {
      var x0 = u.valToPos(p.startS, "x", true), x1 = u.valToPos(Math.min(p.endS, r.durationS), "x", true);
      ctx.fillStyle = p.healthy ? "#d6efdb" : "#f6d5d0";
      ctx.fillRect(x0, top, Math.max(1, x1 - x0), h);
    });
    var xr = u.valToPos(r.recovery.startS, "x", true);
    ctx.fillStyle = "#555";
    ctx.fillRect(xr - 1, top, 2, h);
  }
  var width = Math.min(1050, document.body.clientWidth || 1050);
  charts.forEach(function (c) {
    var el = document.createElement("div");
    el.className = "chart";
    el.id = "chart-" + c.id;
    document.getElementById("charts").appendChild(el);
    new uPlot({
      title: c.label,
      width: width,
      height: 170,
      scales: { x: { time: false, range: [0, Math.max(1, r.durationS)] } },
      axes: [{ label: "seconds since the scenario started" }, { label: c.label, size: 60 }],
      series: [{ label: "t (s)" }, { label: c.label, stroke: c.colour, width: 2, fill: c.colour + "22", points: { show: false } }],
      legend: { show: false },
      cursor: { show: false },
      hooks: { drawClear: [shade] },
    }, [xs, r.timeline.map(function (p) { return p[c.key]; })], el);
  });
  document.body.setAttribute("data-rendered", String(charts.length));
})();
</script>
</body></html>
`;
}
