/**
 * What the mock accepts before it refuses: every limit has a name, and a refusal names it, so a client
 * that hits one knows which option to raise. Each is checked before the work it guards (parsing,
 * storing), so hostile input costs the mock no more than reading it.
 */
export interface MockLimits {
  /** Largest request body a provider route accepts; a larger one gets the dialect's 413. */
  maxRequestBytes: number;
  /** Largest control API body (a plan, secrets). */
  maxControlBodyBytes: number;
  /** Largest scenario document (`PUT /_faultline/scenario`, `--scenario FILE`). */
  maxScenarioBytes: number;
  /** Deepest nesting of arrays and objects in a control body or scenario. */
  maxJsonDepth: number;
  /** Steps in one plan or scenario phase, sequence and mix entries of every provider together. */
  maxPlanSteps: number;
  /** Plans held at once. */
  maxPlans: number;
  /** Bytes of plan bodies held at once (what a stored plan costs is about proportional to its text). */
  maxPlanBytes: number;
  /**
   * Secrets the journal redacts: every read of the journal searches each kept header, query and body
   * for each one, so their number multiplies the cost of a read, during which the mock answers nothing
   * else (10,000 entries of 8 KiB bodies took 46 ms a secret on this project's machine, 1.5 s for 32).
   */
  maxSecrets: number;
}

export const DEFAULT_LIMITS: Readonly<MockLimits> = Object.freeze({
  maxRequestBytes: 10 * 1024 * 1024,
  maxControlBodyBytes: 1024 * 1024,
  maxScenarioBytes: 64 * 1024,
  maxJsonDepth: 64,
  maxPlanSteps: 1_000,
  maxPlans: 5_000,
  maxPlanBytes: 64 * 1024 * 1024,
  maxSecrets: 32,
});

/** Merges given limits over the defaults; a limit that is not a positive integer is a programming error. */
export function resolveLimits(given: Partial<MockLimits> = {}): MockLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(given) as Array<[keyof MockLimits, number | undefined]>) {
    if (v === undefined) continue;
    if (!(k in DEFAULT_LIMITS))
      throw new Error(
        `limits.${k}: unknown limit; expected one of ${Object.keys(DEFAULT_LIMITS).join(", ")}`,
      );
    if (!Number.isInteger(v) || v < 1) throw new Error(`limits.${k}: expected a positive integer, saw ${v}`);
    out[k] = v;
  }
  return out;
}

/** A refusal because input went past a limit: 413 for sizes, 400 for shapes (nesting). */
export class LimitError extends Error {
  override name = "LimitError";
  constructor(
    readonly status: 400 | 413,
    readonly limit: keyof MockLimits,
    message: string,
  ) {
    super(message);
  }
}

/** `10 MiB`, `256 KiB`, `512 bytes`: limits read as people write them. */
export function bytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / 1024 / 1024} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/**
 * The nesting depth of a JSON (or flow-style YAML) text, counted without parsing it, giving up as soon
 * as it passes `max`: a recursive parser or printer would overflow the stack on 10,000 levels.
 * Brackets inside double- or single-quoted strings do not count.
 */
export function depthOver(text: string, max: number): boolean {
  let depth = 0;
  let quote = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote) {
      if (c === 92 /* \ */ && quote === 34) i++;
      else if (c === quote) quote = 0;
    } else if (c === 34 /* " */ || c === 39 /* ' */) quote = c;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

/** Refuses a control text past the depth limit (400), before anything parses it. */
export function checkDepth(text: string, limits: MockLimits, what: string): void {
  if (depthOver(text, limits.maxJsonDepth)) {
    throw new LimitError(
      400,
      "maxJsonDepth",
      `${what}: nested deeper than ${limits.maxJsonDepth} levels of arrays and objects (limit maxJsonDepth)`,
    );
  }
}

/** Thrown by the transport once it has read (and dropped) a body past its limit. */
export class BodyTooLarge extends LimitError {
  constructor(
    readonly receivedBytes: number,
    readonly maxBytes: number,
    limit: "maxRequestBytes" | "maxControlBodyBytes" | "maxScenarioBytes",
  ) {
    super(
      413,
      limit,
      `request body of ${receivedBytes} bytes is over this mock's limit of ${bytes(maxBytes)} (${limit})`,
    );
  }
}
