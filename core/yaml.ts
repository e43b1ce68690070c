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
 * collections count their brackets. Block collections are tracked by column: a line indented past the
 * collection above it opens one a level deeper, and on a line each `-` or `?` indicator opens one a level
 * deeper than the last, at the column of what follows it (`- - x`, `- a:`), which the lines below may
 * continue; a sequence at its key's own column (`a:` over `- b`) is one level deeper too. Every level of
 * block nesting takes one of these forms, so this never counts fewer levels than the parser builds, nor
 * more than twice as many (a fast-check property in test/yaml-depth.test.ts).
 */
export function yamlDepthOver(text: string, max: number): boolean {
  const { Lexer } = yamlModule();
  let flow = 0;
  /** Open block collections: the column their entries start at, their depth, whether a sequence. */
  const cols: number[] = [];
  const depths: number[] = [];
  const seqs: boolean[] = [];
  let col = 0;
  let lineStart = true;
  /** The depth of the collection the line's last token belongs to (0 before any). */
  let depth = 0;
  /** The line has placed its first token. */
  let placed = false;
  /** The token before was an indicator: what follows it opens a collection one level deeper. */
  let opens = false;
  /** The line's content has begun: a `:` after it is a key's, not an indicator. */
  let content = false;
  const open = (column: number, d: number, seq: boolean) => {
    cols.push(column);
    depths.push(d);
    seqs.push(seq);
  };
  const close = () => {
    cols.pop();
    depths.pop();
    seqs.pop();
  };
  for (const token of new Lexer().lex(text)) {
    const c = token.charCodeAt(0);
    // The lexer's markers (document mode, "a scalar follows", a flow error) and a byte-order mark take no room.
    if (c === 2 || c === 0x1f || c === 0x18 || c === 0xfeff) continue;
    if (token === "\n" || token === "\r\n") {
      lineStart = true;
      continue;
    }
    if (lineStart) {
      lineStart = false;
      col = 0;
      placed = false;
      opens = false;
      content = false;
    }
    if (token === "---" || token === "...") {
      // A new document, whose content may start on the marker's own line (`--- - - x`).
      flow = 0;
      cols.length = 0;
      depths.length = 0;
      seqs.length = 0;
      placed = false;
      opens = false;
      content = false;
      col += token.length;
      continue;
    }
    if (c === 91 /* [ */ || c === 123 /* { */) {
      // A flow collection nests inside the block collection it sits in.
      if (token.length === 1 && ++flow + depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      if (token.length === 1 && flow > 0) flow--;
    } else if (flow === 0 && c !== 32 /* space */ && c !== 9 /* tab */ && c !== 35 /* # comment */) {
      const dash = token === "-";
      if (!placed) {
        placed = true;
        while (cols.length > 0 && cols[cols.length - 1]! > col) close();
        // A sequence may sit at its mapping key's own column (`a:` over `- b`): one level deeper all
        // the same, and over when a line at that column is a key again.
        if (!dash && cols.length > 0 && cols[cols.length - 1] === col && seqs[seqs.length - 1]) {
          if (cols.length > 1 && cols[cols.length - 2] === col) close();
        }
        const top = cols.length - 1;
        if (top >= 0 && cols[top] === col && (seqs[top] || !dash)) depth = depths[top]!;
        else {
          depth = (top >= 0 ? depths[top]! : 0) + 1;
          open(col, depth, dash);
        }
      } else if (opens && c !== 38 /* &anchor */ && c !== 33 /* !tag */) {
        depth++;
        open(col, depth, dash);
        opens = false;
      }
      if (depth > max) return true;
      if (token === "-" || token === "?" || (token === ":" && !content)) opens = true;
      else if (c !== 38 && c !== 33) {
        content = true;
        opens = false;
      }
    }
    col += token.length;
    // A block scalar's text is one token that ends its last line: the next token starts a line.
    if (token.length > 1 && token.endsWith("\n")) lineStart = true;
  }
  return false;
}

/** Parses YAML (or JSON) text, refusing a text nested past `max` before the parser sees it. */
export function parseYaml(text: string, max = YAML_MAX_DEPTH): unknown {
  if (yamlDepthOver(text, max)) throw new YamlTooDeep(max);
  return yamlModule().parse(text);
}
