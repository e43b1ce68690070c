// What `faultline run` adds around the engine (node/run.ts): SIGINT and SIGTERM become the run's stop, so
// it writes the partial report and answers 130/143. The engine itself leaves the process's signals alone.

/** Aborts with the signal's name (`"SIGINT"`, `"SIGTERM"`) on the first of them; `disarm` removes the listeners. */
export function abortOnStopSignal(): { signal: AbortSignal; disarm(): void } {
  const abort = new AbortController();
  const int = () => abort.abort("SIGINT");
  const term = () => abort.abort("SIGTERM");
  process.on("SIGINT", int);
  process.on("SIGTERM", term);
  return {
    signal: abort.signal,
    disarm() {
      process.off("SIGINT", int);
      process.off("SIGTERM", term);
    },
  };
}
