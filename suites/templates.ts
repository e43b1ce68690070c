import { UsageError } from "../core/errors.ts";
import type { Target } from "./target.ts";

/** Nested string values a template can name with a dotted path (`mock.providers.alpha`). */
export interface TemplateVars {
  [name: string]: string | TemplateVars;
}

const SLOT = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Every dotted name the variables define, sorted, for error messages. */
export function variableNames(vars: TemplateVars, prefix = ""): string[] {
  return Object.entries(vars)
    .flatMap(([k, v]) => (typeof v === "string" ? [`${prefix}${k}`] : variableNames(v, `${prefix}${k}.`)))
    .sort();
}

function lookup(vars: TemplateVars, name: string): string | undefined {
  let at: string | TemplateVars | undefined = vars;
  for (const part of name.split(".")) {
    if (typeof at !== "object" || !Object.hasOwn(at, part)) return undefined;
    at = at[part];
  }
  return typeof at === "string" ? at : undefined;
}

/**
 * Replaces every `{{name}}` with its value, as is (no escaping: the values are URLs and keys, safe inside
 * JSON strings). Only substitution, no sections or partials: a target config needs nothing more.
 * An unknown name is bad usage that names the slot, where it is, and the names that exist.
 */
export function renderTemplate(text: string, vars: TemplateVars, where: string): string {
  return text.replace(SLOT, (slot, name: string) => {
    const value = lookup(vars, name);
    if (value !== undefined) return value;
    const known = variableNames(vars);
    throw new UsageError(
      `unknown template variable "${slot}" in ${where}; known variables: ${known.join(", ") || "(none)"}` +
        (name.startsWith("mock.") && !known.some((k) => k.startsWith("mock."))
          ? " (mock.* needs the mock: give --mock URL)"
          : ""),
    );
  });
}

/** What the templates know of the mock: its base URL and its providers in priority order. */
export interface MockInfo {
  url: string;
  providers: string[];
  /** A provider's dialect decides its SDK base URL; providers not listed are taken as OpenAI. */
  dialects?: Record<string, string>;
}

/** The credential a target hands the gateway for a provider, unless its config names one. */
export function defaultUpstreamKey(provider: string): string {
  return `sk-faultline-upstream-${provider}`;
}

/**
 * The variables a target's headers can use:
 * - `mock.url`: the mock's base URL;
 * - `mock.providers.<name>`: a provider's base URL as an OpenAI SDK takes it (`…/alpha/v1`; `…/<name>` for
 *   Anthropic and Gemini providers, whose SDKs add their own `/v1…`), the same as `faultline mock` prints;
 * - `upstreamKey.<name>`: the credential the gateway should send that provider;
 * - `target.model`: the model the target routes to the mock.
 */
export function templateVars(
  t: Target,
  mock: MockInfo | undefined,
  upstreamKeys: Record<string, string>,
): TemplateVars {
  const vars: TemplateVars = { target: { model: t.model }, upstreamKey: { ...upstreamKeys } };
  if (mock) {
    const base = mock.url.replace(/\/$/, "");
    vars.mock = {
      url: base,
      providers: Object.fromEntries(
        mock.providers.map((p) => [
          p,
          (mock.dialects?.[p] ?? "openai") === "openai" ? `${base}/${p}/v1` : `${base}/${p}`,
        ]),
      ),
    };
  }
  return vars;
}

/**
 * Renders the target's header templates once the mock is known, and fills an upstream key for every
 * mock provider the config does not name, so reports can redact them (they are secrets like the client key).
 */
export function renderTarget(t: Target, mock: MockInfo | undefined): Target {
  if (!Object.values(t.headers).some((v) => v.includes("{{"))) return t;
  const upstreamKeys = { ...t.upstreamKeys };
  for (const p of mock?.providers ?? []) upstreamKeys[p] ??= defaultUpstreamKey(p);
  const vars = templateVars(t, mock, upstreamKeys);
  const headers = Object.fromEntries(
    Object.entries(t.headers).map(([name, value]) => [name, renderTemplate(value, vars, `headers.${name}`)]),
  );
  return { ...t, headers, upstreamKeys };
}
