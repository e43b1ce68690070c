import { createRequire } from "node:module";

// The yaml package turns a document into values by recursion, one level of the stack per level of
// nesting. A thousand nested sequences (`- - - … x`, 2 KB) overflow the stack, and where the overflow
// lands decides what happens: an error the caller can catch, or, when it lands while V8 compiles a
// regular expression, "FATAL ERROR: RegExpCompiler Allocation failed - process out of memory" and the
// process dies (`PUT /_faultline/scenario` killed the mock that way). Its tokenizer (Lexer) is a state
// machine with no recursion: the nesting is measured on its tokens first, stopping at the limit, and
// the document is parsed only when it is shallow.

/** Deepest nesting of collections a YAML or JSON file of Faultline's may have (the mock's maxJsonDepth). */
export const YAML_MAX_DEPTH = 64;

const require = createRequire(import.meta.url);
// Loaded on first use: the mock's idle memory leaves out what only validation needs (mocks/lazy.ts).
const yamlModule = () => require("yaml") as typeof import("yaml");

/** Thrown for a text nested past the limit, before anything parses it. */
export class YamlTooDeep extends Error {
  override name = "YamlTooDeep";
  constructor(readonly max: number) {
    super(`nested deeper than ${max} levels of sequences and mappings`);
  }
}

/**
 * Whether a YAML (or JSON) text nests collections deeper than `max`, read from the yaml package's own
 * tokens, so a bracket inside a quoted string or a block scalar is text, as the parser sees it. Flow
 * collections count their brackets. Block collections count, per line, the indentation levels open
 * (a stack of indents, as Python reads blocks) and the compact indicators before the line's content
 * (`- - x`, `- ? x`): every level of block nesting needs one or the other, so this is an upper bound.
 */
export function yamlDepthOver(text: string, max: number): boolean {
  const { Lexer } = yamlModule();
  let flow = 0;
  const indents: number[] = [];
  let lineStart = true;
  let indent = 0;
  /** Before the line's content: indicators, anchors and tags only so far. */
  let leading = true;
  /** The line's indent has been placed on the stack. */
  let placed = false;
  let indicators = 0;
  for (const token of new Lexer().lex(text)) {
    const c = token.charCodeAt(0);
    // The lexer's markers (document mode, "a scalar follows") and a byte-order mark are not text.
    if (c === 2 || c === 0x1f || c === 0xfeff) continue;
    if (token === "\n" || token === "\r\n") {
      lineStart = true;
      continue;
    }
    if (token === "---" || token === "...") {
      flow = 0;
      indents.length = 0;
      lineStart = false;
      leading = false;
      continue;
    }
    if (lineStart) {
      lineStart = false;
      leading = true;
      placed = false;
      indicators = 0;
      indent = c === 32 ? token.length : 0;
      if (c === 32) {
        // A block scalar's text is one token that ends its last line: the next token starts a line.
        if (token.endsWith("\n")) lineStart = true;
        continue;
      }
    }
    if (c === 91 /* [ */ || c === 123 /* { */) {
      if (token.length === 1 && ++flow > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      if (token.length === 1 && flow > 0) flow--;
    } else if (flow === 0 && leading && c !== 32 && c !== 35 /* # comment */) {
      if (!placed) {
        placed = true;
        while (indents.length > 0 && indents[indents.length - 1]! > indent) indents.pop();
        if (indents.length === 0 || indents[indents.length - 1]! < indent) indents.push(indent);
      }
      if (token === "-" || token === "?" || token === ":") indicators++;
      else if (c !== 38 /* &anchor */ && c !== 33 /* !tag */) leading = false;
      if (indents.length + indicators > max) return true;
    }
    if (token.length > 1 && token.endsWith("\n")) lineStart = true;
  }
  return false;
}

/** Parses YAML (or JSON) text, refusing a text nested past `max` before the parser sees it. */
export function parseYaml(text: string, max = YAML_MAX_DEPTH): unknown {
  if (yamlDepthOver(text, max)) throw new YamlTooDeep(max);
  return yamlModule().parse(text);
}
