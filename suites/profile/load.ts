import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { ZodError } from "zod";
import { UsageError } from "../errors.ts";
import { Profile } from "./schema.ts";

export const PROFILE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../fixtures/profiles");

/** The names of the built-in profiles under fixtures/profiles. */
export function builtinProfiles(): string[] {
  return ["lumenfall", "lemondata", "meta-envelope", "data-envelope", "llmapi", "openai-compatible"].filter(
    (n) => existsSync(join(PROFILE_DIR, `${n}.yaml`)),
  );
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

/** Deep merge where the child wins; lists are replaced, not concatenated. */
export function mergeProfiles(base: unknown, child: unknown): unknown {
  if (!isObject(base) || !isObject(child)) return child === undefined ? base : child;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(child)) out[k] = mergeProfiles(base[k], v);
  return out;
}

function readRaw(file: string, seen: string[]): Record<string, unknown> {
  if (seen.includes(file)) throw new UsageError(`profile "extends" cycle: ${[...seen, file].join(" -> ")}`);
  if (!existsSync(file)) throw new UsageError(`profile file not found: ${file}`);
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`profile ${file} is not valid YAML/JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw))
    throw new UsageError(`profile ${file}: expected a mapping at the top level, saw ${typeof raw}`);
  const { extends: parent, ...rest } = raw;
  if (parent === undefined) return rest;
  if (typeof parent !== "string")
    throw new UsageError(`profile ${file}: "extends" expected a profile name or path`);
  return mergeProfiles(readRaw(locate(parent, dirname(file)), [...seen, file]), rest) as Record<
    string,
    unknown
  >;
}

/** Turns zod issues into one line per field: `field: expected …, saw …`. */
export function describeZodError(prefix: string, err: ZodError): string {
  return err.issues
    .map((i) => `${prefix}${i.path.length ? `.${i.path.join(".")}` : ""}: ${i.message}`)
    .join("\n");
}

/** Loads a built-in profile by name or a profile file, resolving `extends:`. */
export function loadProfile(ref: string): Profile {
  const file = locate(ref);
  const raw = readRaw(file, []);
  const parsed = Profile.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(`invalid profile ${ref}:\n${describeZodError("profile", parsed.error)}`);
  return parsed.data;
}
