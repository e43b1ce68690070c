import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ZodError } from "zod";
import { UsageError } from "../errors.ts";
import { parseYaml } from "../yaml.ts";
import { Profile } from "./schema.ts";

export const PROFILE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../fixtures/profiles");

const BUILTIN = [
  "lumenfall",
  "lemondata",
  "meta-envelope",
  "data-envelope",
  "llmapi",
  "openai-compatible",
  "anthropic-compatible",
];

/** The names of the built-in profiles under fixtures/profiles. */
export function builtinProfiles(): string[] {
  return BUILTIN.filter((n) => existsSync(join(PROFILE_DIR, `${n}.yaml`)));
}

function locate(ref: string, from?: string): string {
  if (/[/\\]|\.(ya?ml|json)$/.test(ref)) return isAbsolute(ref) ? ref : resolve(from ?? process.cwd(), ref);
  const file = join(PROFILE_DIR, `${ref}.yaml`);
  if (!existsSync(file)) {
    throw new UsageError(
      `unknown profile "${ref}"; expected one of ${builtinProfiles().join(", ")} or a path to a YAML/JSON file`,
    );
  }
  return file;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An inherited key a child profile removed with `null`, kept to explain what the removal broke. */
export interface Removal {
  path: string[];
  /** The file that wrote the `null`. */
  file: string;
}

/** Maps of literal JSON values, where `null` is a value (`envelope.fixed: {data: null}`), not a removal. */
function isLiteral(parent: string | undefined, key: string): boolean {
  return (
    (key === "fixed" && (parent === "envelope" || parent === "tasks")) ||
    (key === "body" && parent === "tasks")
  );
}

interface MergeContext {
  /** The file being merged over its parent, and the parent's name as `extends:` gives it. */
  file: string;
  parent: string;
  /** The parent, fully resolved: where a removal must find what it removes. */
  root: unknown;
  removals: Removal[];
}

/** The deepest existing map on the way to `path` in `root`, and its keys. */
function deepestMap(root: unknown, path: string[]): { at: string[]; keys: string[] } {
  let node = root;
  const at: string[] = [];
  for (const seg of path.slice(0, -1)) {
    if (!isObject(node) || !isObject(node[seg])) break;
    node = node[seg];
    at.push(seg);
  }
  return { at, keys: isObject(node) ? Object.keys(node) : [] };
}

function merge(base: unknown, child: unknown, path: string[], literal: boolean, ctx: MergeContext): unknown {
  if (!isObject(child)) return child === undefined ? base : child;
  const out: Record<string, unknown> = isObject(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(child)) {
    const at = [...path, k];
    if (v === null && !literal) {
      if (!(k in out)) {
        const { at: found, keys } = deepestMap(ctx.root, at);
        throw new UsageError(
          `profile ${ctx.file}: ${at.join(".")}: null removes an inherited key, but "${ctx.parent}" has no ` +
            `${at.join(".")}; ${found.length ? found.join(".") : "its top level"} has: ${keys.join(", ") || "nothing"}`,
        );
      }
      delete out[k];
      ctx.removals.push({ path: at, file: ctx.file });
      continue;
    }
    out[k] = merge(out[k], v, at, literal || isLiteral(path.at(-1), k), ctx);
  }
  return out;
}

/**
 * A child profile over its parent, as JSON Merge Patch (RFC 7396) merges: maps merge key by key, lists and
 * scalars are replaced, and `null` removes the inherited key. Inside literal maps (`fixed`, a task's
 * `body`) `null` is a value. Removing a key the parent does not have is an error listing what it has.
 */
export function mergeProfiles(
  base: unknown,
  child: unknown,
  where: { file?: string; parent?: string; removals?: Removal[] } = {},
): unknown {
  return merge(base, child, [], false, {
    file: where.file ?? "(child)",
    parent: where.parent ?? "(parent)",
    root: base,
    removals: where.removals ?? [],
  });
}

function readRaw(file: string, seen: string[], removals: Removal[]): Record<string, unknown> {
  if (seen.includes(file)) throw new UsageError(`profile "extends" cycle: ${[...seen, file].join(" -> ")}`);
  if (!existsSync(file)) throw new UsageError(`profile file not found: ${file}`);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`profile ${file} is not valid YAML/JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw))
    throw new UsageError(`profile ${file}: expected a mapping at the top level, saw ${typeof raw}`);
  const { extends: parent, ...rest } = raw;
  if (parent === undefined) return rest;
  if (typeof parent !== "string")
    throw new UsageError(
      `profile ${file}: "extends" expected a profile name or path, saw ${JSON.stringify(parent)}`,
    );
  const base = readRaw(locate(parent, dirname(file)), [...seen, file], removals);
  return mergeProfiles(base, rest, { file, parent, removals }) as Record<string, unknown>;
}

/** Turns zod issues into one line per field: `field: expected …, saw …`. */
export function describeZodError(prefix: string, err: ZodError, removals: Removal[] = []): string {
  return err.issues
    .map((i) => `${prefix}${i.path.length ? `.${i.path.join(".")}` : ""}: ${i.message}${blame(i, removals)}`)
    .join("\n");
}

/** Names the removal that made an issue, so a broken `null` points at both ends. */
function blame(issue: ZodError["issues"][number], removals: Removal[]): string {
  const path = issue.path.map(String);
  const code = /code "([^"]+)" is not in the catalogue/.exec(issue.message)?.[1];
  const r =
    removals.find((r) => code !== undefined && r.path.at(-1) === code && r.path.at(-2) === "catalogue") ??
    removals.find((r) => r.path.every((seg, n) => path[n] === seg));
  if (!r) return "";
  const what = code !== undefined ? `code "${code}"` : r.path.join(".");
  return ` — ${r.path.join(".")}: null in ${r.file} removed ${what}; remove or change ${path.join(".") || "it"} too`;
}

/** Loads a built-in profile by name or a profile file, resolving `extends:`. */
export function loadProfile(ref: string): Profile {
  const file = locate(ref);
  const removals: Removal[] = [];
  const raw = readRaw(file, [], removals);
  const parsed = Profile.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(`invalid profile ${ref}:\n${describeZodError("profile", parsed.error, removals)}`);
  return parsed.data;
}
