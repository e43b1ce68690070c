import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { UsageError } from "../core/errors.ts";
import type { Profile } from "../core/profile/schema.ts";
import type { BreakerConfig } from "../gateway/breaker.ts";
import { GATEWAY_DEFAULTS } from "../gateway/options.ts";
import type { Target } from "../suites/target.ts";
import type { ChildMessage, ChildOptions } from "./outage-builtin-child.ts";

/**
 * The built-in outage target: the mock and the reference gateway, each in a child process, so neither
 * shares the load engine's event loop (at 500 requests per second that matters, even on two cores). The
 * gateway keeps its own default timeouts (2 s per attempt, 10 s per request) rather than `faultline run`'s
 * short ones, so a brownout looks to it as it would to a production gateway.
 */
export interface OutageBuiltin {
  target: Target & { mock: string };
  close(): Promise<void>;
}

const STARTUP_MS = 30_000;
/** The children's young-generation semi-space (MB); V8's default is 16. */
const SEMI_SPACE_MB = 64;

interface Child {
  url: string;
  close(): Promise<void>;
}

async function startChild(o: ChildOptions): Promise<Child> {
  const self = import.meta.url;
  const ts = self.endsWith(".ts");
  const child: ChildProcess = fork(
    fileURLToPath(new URL(`./outage-builtin-child.${ts ? "ts" : "js"}`, self)),
    [JSON.stringify(o)],
    {
      // From the sources the child needs the TypeScript loader; from a build it is plain JavaScript. A
      // larger young generation: both servers allocate per request and keep little, and at hundreds of
      // requests per second the default one is scavenged many times a second.
      execArgv: [
        ...(ts ? ["--import", import.meta.resolve("tsx")] : []),
        `--max-semi-space-size=${SEMI_SPACE_MB}`,
      ],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  const timer = setTimeout(() => child.kill(), STARTUP_MS);
  const [first] = (await Promise.race([
    once(child, "message"),
    once(child, "exit").then(() => [{ type: "error", message: `the ${o.role} process exited on start` }]),
  ])) as [ChildMessage];
  clearTimeout(timer);
  if (first.type !== "ready") {
    child.kill();
    throw new UsageError(`the built-in outage target did not start: ${first.message}`);
  }
  return {
    url: first.url,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.send("close");
      const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(kill);
    },
  };
}

export async function startOutageBuiltin(
  profile: Profile,
  o: { defects?: string[]; breaker?: BreakerConfig } = {},
): Promise<OutageBuiltin> {
  const mock = await startChild({ role: "mock" });
  try {
    const gateway = await startChild({
      role: "gateway",
      profile,
      mock: mock.url,
      defects: o.defects ?? [],
      breaker: o.breaker,
    });
    return {
      target: {
        gateway: gateway.url,
        mock: mock.url,
        apiKey: GATEWAY_DEFAULTS.apiKeys[0]!,
        model: GATEWAY_DEFAULTS.models[0]!,
        // The gateway aims at its deadline; it is judged with `faultline run`'s grace for a loaded machine.
        deadlineMs: GATEWAY_DEFAULTS.deadlineMs + 2_000,
        headers: {},
      },
      async close() {
        await gateway.close();
        await mock.close();
      },
    };
  } catch (e) {
    await mock.close();
    throw e;
  }
}
