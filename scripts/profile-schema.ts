// Writes fixtures/schema/profile.schema.json, the JSON Schema of profile files, from the zod schema, so
// editors complete and check profiles (the `# yaml-language-server: $schema=…` line at the top of each).
// `npm run profile-schema` regenerates it; test/profiles.test.ts fails when the committed file is stale.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { Profile } from "../core/profile/schema.ts";

export const SCHEMA_FILE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../fixtures/schema/profile.schema.json",
);

/** The schema text, deterministic so the committed file can be compared byte for byte. */
export function profileJsonSchema(): string {
  // `input`: what a file may contain, so fields with defaults are optional as they are to the loader.
  const schema = z.toJSONSchema(Profile, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  const properties = schema.properties as Record<string, unknown>;
  // load.ts resolves `extends:` before validation, so the zod schema never sees it.
  properties.extends = {
    type: "string",
    description:
      "A built-in profile name or a path to a profile file; this file overrides it (lists are replaced).",
  };
  return `${JSON.stringify(
    {
      $id: "https://faultline.dev/schema/profile.schema.json",
      title: "Faultline gateway profile",
      description: "A gateway's error contract: envelope, catalogue, conditions, families, exhaustion.",
      ...schema,
    },
    null,
    2,
  )}\n`;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const text = profileJsonSchema();
  let old = "";
  try {
    old = readFileSync(SCHEMA_FILE, "utf8");
  } catch {
    // first run
  }
  mkdirSync(dirname(SCHEMA_FILE), { recursive: true });
  writeFileSync(SCHEMA_FILE, text);
  console.log(`${old === text ? "unchanged" : "wrote"} ${SCHEMA_FILE}`);
}
