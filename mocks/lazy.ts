import { createRequire } from "node:module";

// zod and yaml weigh about 16 MB of an idle mock's memory, and a mock that only answers never uses
// them: they validate plans and scenarios. They load on first use, synchronously (their CommonJS
// builds), so validation keeps its synchronous API.
const require = createRequire(import.meta.url);

let zodModule: typeof import("zod") | undefined;
/** zod, loaded on first use. */
export function zod(): typeof import("zod") {
  zodModule ??= require("zod") as typeof import("zod");
  return zodModule;
}

let yamlModule: typeof import("yaml") | undefined;
/** yaml, loaded on first use. */
export function yaml(): typeof import("yaml") {
  yamlModule ??= require("yaml") as typeof import("yaml");
  return yamlModule;
}

/** A value built on first use and kept: a schema nobody validates against is never built. */
export function once<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}
