/** Import rules checked in `npm run lint:deps` (dependency-cruiser): no cycles, and the layers point one way. */

// The project's own top-level folders; anything else (node:, npm packages) is not ours to rule on here.
const OURS = "^(core|mocks|gateway|suites|node|scripts|test)/";
// A test file may reach across layers to set up what it tests (a suite test starts the built-in pair).
const TEST_FILE = "\\.test\\.ts$";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle makes a module impossible to read or load on its own.",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-is-a-leaf",
      severity: "error",
      comment:
        "core/ holds what both halves share (profile, errors, json paths, rng, redaction): it imports nothing of ours outside core/.",
      from: { path: "^core/" },
      to: { path: OURS, pathNot: "^core/" },
    },
    {
      name: "mocks-on-core-only",
      severity: "error",
      comment:
        "The mock upstream stands on its own: it may use core/, never the gateway, suites, node API or CLI.",
      from: { path: "^mocks/" },
      to: { path: OURS, pathNot: "^(core|mocks)/" },
    },
    {
      name: "gateway-on-core-and-mocks",
      severity: "error",
      comment:
        "The reference gateway is a gateway under test: it may use core/ and the mock's dialects, never the suites that judge it.",
      from: { path: "^gateway/" },
      to: { path: OURS, pathNot: "^(core|mocks|gateway)/" },
    },
    {
      name: "suites-on-core-and-mocks",
      severity: "error",
      comment:
        "The suites judge any gateway: they may use core/ and the mock's types, never the reference gateway, the node API or the CLI (their *.suite.test.ts entry files excepted).",
      from: { path: "^suites/", pathNot: TEST_FILE },
      to: { path: OURS, pathNot: "^(core|mocks|suites)/" },
    },
    {
      name: "node-below-scripts",
      severity: "error",
      comment: "faultline/node is what the CLI is a shell over: it may use every layer but the CLI.",
      from: { path: "^node/" },
      to: { path: "^(scripts|test)/" },
    },
    {
      name: "nothing-imports-tests",
      severity: "error",
      comment: "Tests use the project; the project never uses its tests.",
      from: { path: "^(core|mocks|gateway|suites|node|scripts)/" },
      to: { path: "^test/" },
    },
    {
      name: "harness-is-handed-the-checks",
      severity: "error",
      comment:
        "The runner is handed the checks (RunOptions.checks) and knows them by the registry's types only: it never imports a check or the list.",
      from: { path: "^suites/harness/" },
      to: { path: "^suites/checks/", pathNot: "^suites/checks/registry\\.ts$" },
    },
    {
      name: "checks-on-the-data-model",
      severity: "error",
      comment:
        "A check judges the shared data model (harness/types.ts) and may speak the client dialects (harness/dialects.ts); it never imports the runner.",
      from: { path: "^suites/checks/" },
      to: { path: "^suites/harness/", pathNot: "^suites/harness/(types|dialects)\\.ts$" },
    },
    {
      name: "reports-read-the-result",
      severity: "error",
      comment:
        "Formatters only read the finished RunResult: they may use its model (result, types, coverage-matrix), never the runner or the checks.",
      from: { path: "^suites/report/" },
      to: {
        path: "^suites/(harness|checks)/",
        pathNot: "^suites/harness/(result|types|coverage-matrix)\\.ts$",
      },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "(^|/)(dist|node_modules|reports)/" },
  },
};
