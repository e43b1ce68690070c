import { familyNames, familyProfile, type Profile } from "../core/profile/schema.ts";
import { codecFor } from "./families/index.ts";

export type Op = "chat" | "models";

/** A request matched to one endpoint of one family. */
export interface RouteHit {
  family: string;
  op: Op;
  /** Set when the path decides streaming (Gemini's :streamGenerateContent). */
  stream?: boolean;
  /** Path parameters, decoded (`{model}`). */
  params: Record<string, string>;
}

/** The path exists but not for this method; `family` renders the 405. */
export interface WrongMethod {
  family: string;
  allow: string[];
}

interface Compiled {
  family: string;
  op: Op;
  method: string;
  stream?: boolean;
  pattern: RegExp;
  names: string[];
}

/** `/v1beta/models/{model}:generateContent` → a regex with one group per `{name}`. */
function compile(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split(/(\{\w+\})/)
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(m[1]!);
      return "([^/:]+)";
    })
    .join("");
  return { pattern: new RegExp(`^${source}$`), names };
}

/** Every family's endpoints, in the order the profile declares the families. */
export function compileRoutes(profile: Profile): Compiled[] {
  const out: Compiled[] = [];
  for (const family of familyNames(profile)) {
    const { endpoints } = familyProfile(profile, family);
    for (const { template, stream } of codecFor(endpoints.chat.dialect).chatPaths(endpoints.chat.path)) {
      out.push({ family, op: "chat", method: endpoints.chat.method, stream, ...compile(template) });
    }
    if (endpoints.models) {
      out.push({ family, op: "models", method: endpoints.models.method, ...compile(endpoints.models.path) });
    }
  }
  return out;
}

export function matchRoute(
  routes: Compiled[],
  method: string,
  path: string,
): RouteHit | WrongMethod | undefined {
  const found = routes.flatMap((r) => {
    const m = r.pattern.exec(path);
    return m ? [{ r, m }] : [];
  });
  if (found.length === 0) return undefined;
  const hit = found.find(({ r }) => r.method === method);
  if (!hit) return { family: found[0]!.r.family, allow: [...new Set(found.map(({ r }) => r.method))] };
  const params: Record<string, string> = {};
  hit.r.names.forEach((n, i) => {
    const raw = hit.m[i + 1]!;
    try {
      params[n] = decodeURIComponent(raw);
    } catch {
      params[n] = raw;
    }
  });
  return { family: hit.r.family, op: hit.r.op, stream: hit.r.stream, params };
}
