import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderReadme } from "../scripts/docs.ts";

describe("README", () => {
  it("lists every registered check (run `npm run docs` when this fails)", () => {
    const text = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(renderReadme(text)).toBe(text);
  });
});
