// What a preflight request says about the setup: each broken setup named, with the one thing that fixes it.

import { getPath } from "../../core/json-path.ts";
import type { Profile } from "../../core/profile/schema.ts";
import type { JournalEntry } from "../../mocks/journal.ts";
import type { Target } from "../target.ts";
import type { MockClient } from "./mock-client.ts";
import type { SetupProblem } from "./result.ts";
import type { Exchange, RequestSpec } from "./types.ts";

/** What a preflight is given: the prepared target, and what the run will ask of it. */
export interface PreflightInput {
  target: Target;
  profile: Profile;
  mock?: MockClient;
  /** The mock's providers in priority order, with their dialects. */
  providers: string[];
  dialects?: Record<string, string>;
  /** How long one request may take. */
  deadlineMs: number;
  /** Whether any stream check is selected: only then must the gateway stream. */
  streams: boolean;
  mockToken?: string;
}

/** How printed commands call Faultline: it works in a checkout and in a project that depends on it. */
export const CLI = "npx faultline";

/** The model a journal entry asked for: in the body (OpenAI, Anthropic) or the path (Gemini). */
function modelOf(e: JournalEntry): string | undefined {
  try {
    const m = (JSON.parse(e.body) as { model?: unknown }).model;
    if (typeof m === "string") return m;
  } catch {
    // not JSON: fall through to the path
  }
  return /\/models\/([^/:]+)/.exec(e.path)?.[1];
}

function briefly(ex: Exchange): string {
  const body = ex.raw.length > 200 ? `${ex.raw.slice(0, 200)}…` : ex.raw;
  return `${ex.status}${body ? ` ${body}` : ""}`;
}

/** The one command that restarts the mock serving `model`, keeping its port and providers. */
function mockCommand(input: PreflightInput, model: string): string {
  const port = new URL(input.mock!.baseUrl).port;
  const dialects = input.providers.map((p) => `${p}=${input.dialects?.[p] ?? "openai"}`);
  const defaults = dialects.join(",") === "alpha=openai,beta=openai,gamma=openai";
  return `${CLI} mock${port ? ` --port ${port}` : ""}${defaults ? "" : ` --providers ${dialects.join(",")}`} --models ${model}`;
}

export function routeFix(input: PreflightInput): string {
  const base = input.mock!.baseUrl;
  const urls = input.providers.map((p) =>
    (input.dialects?.[p] ?? "openai") === "openai" ? `${base}/${p}/v1` : `${base}/${p}`,
  );
  return `route model ${input.target.model} to the mock's providers ${input.providers.join(", ")} in that order (${urls.join(", ")})`;
}

export interface Sent {
  ex: Exchange;
  journal?: JournalEntry[];
  /** Requests the mock saw meanwhile without this request's plan. */
  strays?: JournalEntry[];
}

/** Why no response came: down or hanging. */
export function unreachable(input: PreflightInput, ex: Exchange): SetupProblem {
  const g = input.target.gateway;
  return ex.timedOut
    ? {
        id: "setup.gateway_hangs",
        message: `gateway ${g} did not answer a clean request within ${input.deadlineMs} ms; is it hanging?`,
        fix: "check that the gateway is up and answering, then run again",
      }
    : {
        id: "setup.gateway_down",
        message: `gateway ${g} is not reachable (${ex.error?.code}: ${ex.error?.message})`,
        fix: `start the gateway, or pass its URL with --gateway (now ${g})`,
      };
}

/** What one family's clean request says about the setup; undefined when it worked. */
export function diagnose(
  input: PreflightInput,
  p: Profile,
  family: string,
  req: RequestSpec,
  s: Sent,
): SetupProblem | undefined {
  const { ex, journal = [], strays = [] } = s;
  const where =
    family === "default" ? `${req.method} ${req.path}` : `${req.method} ${req.path} (family ${family})`;
  if (ex.status === undefined) return unreachable(input, ex);
  const refused = [...journal, ...strays].find((e) => e.step.step === "refused");
  if (refused) {
    const model = modelOf(refused) ?? "(unknown)";
    return {
      id: "setup.model_refused",
      message: `the gateway sent model "${model}" to the mock's provider ${refused.provider}, which refused it: ${String(refused.step.reason ?? "not served")}`,
      fix: `restart the mock serving that model: ${mockCommand(input, model)}`,
    };
  }
  const answered = journal.filter((e) => e.step.step === "ok");
  if (answered.length) {
    if (ex.status >= 200 && ex.status < 300) return undefined;
    return {
      id: "setup.clean_request",
      message: `a clean request to ${where} got ${briefly(ex)} although provider ${answered[0]!.provider} answered it`,
      fix: "a clean request must succeed before failures can be judged: see the gateway's log for this request",
    };
  }
  const code = getPath(ex.json, p.envelope.code);
  const modelCodes = [p.conditions["model.unknown"], p.conditions["model.disabled"]].flat();
  if ((ex.status === 404 || ex.status === 400) && typeof code === "string" && modelCodes.includes(code))
    return {
      id: "setup.model_unknown",
      message: `${where} answered ${briefly(ex)}: the gateway does not serve model "${input.target.model}"`,
      fix: "pass a model the gateway routes to the mock's providers with --model M",
    };
  if (ex.status === 404 || ex.status === 405)
    return {
      id: "setup.path",
      message: `${where} answered ${briefly(ex)}: the gateway does not serve chat there`,
      fix:
        family === "default"
          ? "pass the gateway's chat path with --chat-path PATH (e.g. --chat-path /api/v1/chat/completions)"
          : `fix endpoints of family ${family} in the profile, or remove the family`,
    };
  if (ex.status === 401 || ex.status === 403)
    return input.target.auth === "none"
      ? {
          id: "setup.auth",
          message: `${where} answered ${briefly(ex)} to a request without client credentials (--auth none)`,
          fix: "the gateway wants a client key: drop --auth none and pass --api-key (or FAULTLINE_API_KEY)",
        }
      : {
          id: "setup.auth",
          message: `${where} refused the client key: ${briefly(ex)}`,
          fix: "pass a key the gateway accepts with --api-key (or FAULTLINE_API_KEY), or --auth none if it has no client authentication",
        };
  if (!input.mock) return undefined;
  if (strays.length)
    return {
      id: "setup.marker",
      message: `the mock saw ${strays.length} request(s) from the gateway, none carrying the plan marker: the gateway changes the prompt on its way`,
      fix: "let the gateway forward the prompt unchanged (it carries faultline:<plan>), or pass the header x-faultline-plan through",
    };
  return {
    id: "setup.unrouted",
    message: `the gateway answered ${briefly(ex)} to ${where} for model "${input.target.model}" without asking the mock`,
    fix: routeFix(input),
  };
}
