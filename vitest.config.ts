import { defineConfig } from "vitest/config";

// Two projects: the project's own tests (`test/`, unit tests beside code) and the conformance suites
// (`suites/`), which need a target and are normally driven by `faultline run`.
export default defineConfig({
  test: {
    // Most files wait on sockets and timers, not on the CPU: on CI's two cores vitest's default (one worker
    // per core but one) leaves the machine idle for most of the run; more than two starve the timing checks.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "test/**/*.test.ts",
            "mocks/**/*.test.ts",
            "scripts/**/*.test.ts",
            "suites/**/*.unit.test.ts",
          ],
          testTimeout: 60_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "suites",
          include: ["suites/**/*.suite.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
