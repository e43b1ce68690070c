// How the CLI process ends: on SIGINT/SIGTERM however it was launched, and with one clear line when a
// server cannot bind its port. The programmatic entry (faultline/node) installs none of this: a library
// leaves the process's signals to its host.

/** The exit codes a shell reports for a process ended by these signals (128 + the signal's number). */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** Signals received so far; once one has been, the process is already stopping. */
let received = 0;

/**
 * Ends the process on SIGINT and SIGTERM. A command that stops gracefully on a signal (`mock` and
 * `gateway` close their servers, `run` writes its partial report) listens too; then this only bounds how
 * long that may take. With no such listener the process ends at once, as it would without handlers, and
 * a second signal (Ctrl-C again) always ends it at once.
 */
export function stopOnSignals(graceMs = 10_000): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      received++;
      if (received > 1 || process.listenerCount(signal) === 1) process.exit(SIGNAL_EXIT[signal]);
      setTimeout(() => process.exit(SIGNAL_EXIT[signal]), graceMs).unref();
    });
  }
}

/**
 * npm (`npx`, `npm exec`, `npm run`) forwards SIGINT and SIGTERM only to the shell it starts the command
 * in (@npmcli/run-script, signal-manager.js), and Debian's dash neither passes them on nor execs the
 * command, so `kill <npm's pid>` ends npm and its shell and would leave this process serving. Under npm,
 * the shell going away is taken as the signal it received.
 */
export function followLauncher(env: NodeJS.ProcessEnv = process.env, everyMs = 250): void {
  if (!env.npm_lifecycle_event) return;
  const launcher = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === launcher && received === 0) return;
    clearInterval(timer);
    // Ctrl-C reaches this process and npm's shell alike; the shell then goes too, and that is no second signal.
    if (received === 0) process.kill(process.pid, "SIGTERM");
  }, everyMs);
  timer.unref();
}

interface ListenError {
  code: string;
  syscall: "listen";
  address?: string;
  port?: number;
}

function isListenError(e: unknown): e is ListenError {
  return typeof e === "object" && e !== null && (e as { syscall?: unknown }).syscall === "listen";
}

/** One line for a server that could not bind (port in use, not allowed, address not here), or undefined. */
export function listenProblem(e: unknown): string | undefined {
  if (!isListenError(e)) return undefined;
  const where = `${e.address ?? "the address"} port ${e.port ?? "?"}`;
  const why: Record<string, string> = {
    EADDRINUSE: `${where} is already in use (EADDRINUSE); stop what holds it or pick another --port`,
    EACCES: `not allowed to bind ${where} (EACCES); pick a port above 1023`,
    EADDRNOTAVAIL: `${e.address} is not an address of this machine (EADDRNOTAVAIL); check --host`,
  };
  return why[e.code] ?? `cannot listen on ${where} (${e.code})`;
}
