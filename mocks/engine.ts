import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { Redactor } from "../core/redact.ts";
import { seededRandom } from "../core/rng.ts";
import { dialect } from "./dialects/index.ts";
import { countPieces, type Dialect, type ErrorKind, json, type Route, usageOf } from "./dialects/types.ts";
import { Journal, type JournalEntry, type JournalLimits } from "./journal.ts";
import { bytes, LimitError, type MockLimits, resolveLimits } from "./limits.ts";
import { MockMetrics } from "./metrics.ts";
import {
  type Plan,
  PlanError,
  PlanState,
  parsePlan,
  RESERVED_NAMES,
  type StepSpec,
  stepFor,
} from "./plan.ts";
import { type StepContext, type StepDef, stepDef } from "./steps.ts";
import { flat, isAscii } from "./strings.ts";
import type { DialectId, MockRequest, Reply } from "./types.ts";

export interface ProviderConfig {
  name: string;
  dialect: DialectId;
  models: string[];
}

/** The step a request without a plan gets; scenarios replace it while they play. */
export type DefaultPolicy = (provider: string, attempt: number, random: () => number) => StepSpec;

export interface EngineOptions {
  providers: ProviderConfig[];
  journal?: Partial<JournalLimits>;
  /** Plans are forgotten this long after they were created, so a long-running mock stays bounded. */
  planTtlMs?: number;
  /** Same as `limits.maxPlans` (kept for callers written before `limits`). */
  maxPlans?: number;
  /** What the mock accepts before it refuses (docs/mock.md, "Limits"); defaults: DEFAULT_LIMITS. */
  limits?: Partial<MockLimits>;
  /** Values redacted wherever they appear in the journal (API keys the gateway is given, say). */
  secrets?: string[];
}

/** The models each dialect's providers serve by default; a provider refuses others with its 404. */
export const DEFAULT_MODELS: Record<DialectId, string[]> = {
  openai: ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"],
  anthropic: ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1"],
  gemini: ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"],
};

export const DEFAULT_PROVIDERS: ProviderConfig[] = [
  { name: "alpha", dialect: "openai", models: DEFAULT_MODELS.openai },
  { name: "beta", dialect: "openai", models: DEFAULT_MODELS.openai },
  { name: "gamma", dialect: "openai", models: DEFAULT_MODELS.openai },
];

const MARKER = "faultline:";
/** The longest body whose reading is kept for the next requests (characters). */
const READING_MAX_CHARS = 64 * 1024;
/**
 * How many distinct bodies' readings a provider keeps. Two plans' requests in turn re-parsed every body
 * with one kept (13% more instructions per answer than either alone, `npm run bench:instructions`'s
 * harness); a miss compares this many strings first.
 */
const READINGS = 4;

/** What a request body says to the mock: see MockEngine.read. */
interface Reading {
  readonly method: string;
  readonly subpath: string;
  readonly body: string;
  readonly route: Readonly<Route> | undefined;
  readonly invalid: { kind: ErrorKind; message: string; reason: string } | undefined;
  readonly planInBody: string | undefined;
}
/** The longest plan id a marker carries. */
const MAX_ID = 64;

/** Whether a character code may be part of a plan id: [A-Za-z0-9_-]. */
function idChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;
}

/** The decision: what one attempt gets. Decide is pure data in, data out; transports write it. */
export interface Decision {
  reply: Reply;
  entry: JournalEntry;
  /**
   * Whatever the transport writes the reply to (node:http's response), kept here so one object carries
   * the exchange to its end. Present from the start: a field added later would reshape every decision.
   */
  exchange: unknown;
}

/** A stored plan, who may change it, and what it costs to hold. */
interface StoredPlan {
  state: PlanState;
  /** sha256 of the owner key: compared in constant time, never shown. */
  owner: Buffer;
  bytes: number;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** What the engine knows of a provider on the hot path, looked up once. */
interface ProviderRuntime {
  config: ProviderConfig;
  dialect: Dialect;
  /** Serves any model (`*`) or none is listed. */
  anyModel: boolean;
  models: ReadonlySet<string>;
  /** Requests received, for the metrics. */
  requests: number;
  /**
   * What every completion text of this provider starts with, up to the counter in its tag: "Hello from
   * alpha (1f3a-"; the counter and ")." complete it (context).
   */
  textHead: string;
  /** `JSON.stringify(textHead)` without its closing quote: the counter and `)."` complete it. */
  textHeadJson: string;
  /** The pieces of any such text: the tag has no space, so it never adds one to the head's last. */
  textPieces: number;
  /** `textHeadJson` is all ASCII (the provider's name is), and so is every text JSON built from it. */
  textAscii: boolean;
  /** The readings of the last few distinct request bodies (MockEngine.read), replaced in turn. */
  readings: Array<Reading | undefined>;
  /** The slot of `readings` the next new reading takes. */
  nextReading: number;
}

/** Where a provider path leads: MockEngine.providerPath. */
interface ProviderPath {
  readonly name: string;
  readonly p: ProviderRuntime;
  readonly subpath: string;
}

export class MockEngine {
  readonly journal: Journal;
  readonly providers = new Map<string, ProviderConfig>();
  readonly limits: MockLimits;
  readonly metrics: MockMetrics;
  private readonly runtimes = new Map<string, ProviderRuntime>();
  private plans = new Map<string, StoredPlan>();
  private planBytes = 0;
  private unplanned = new Map<string, number>();
  private unplannedRandom = seededRandom(1);
  defaultPolicy: DefaultPolicy | undefined;
  private planCounter = 0;
  // Request ids: a random per-engine prefix and a counter, unique without a syscall per request.
  private readonly idPrefix = randomBytes(8).toString("hex");
  /** Completion texts carry a short tag: the id prefix's first characters and the same counter. */
  private readonly tagPrefix = this.idPrefix.slice(0, 4);
  private requestCounter = 0;
  private lastPath: string | undefined;
  private lastProviderPath: ProviderPath | undefined;

  constructor(readonly options: EngineOptions = { providers: DEFAULT_PROVIDERS }) {
    for (const p of options.providers) {
      if (RESERVED_NAMES.has(p.name)) throw new Error(`provider name "${p.name}" is reserved; pick another`);
      this.providers.set(p.name, p);
      this.runtimes.set(p.name, {
        config: p,
        dialect: dialect(p.dialect),
        anyModel: p.models.length === 0 || p.models.includes("*"),
        models: new Set(p.models),
        requests: 0,
        textHead: flat(`Hello from ${p.name} (${this.tagPrefix}-`),
        textHeadJson: flat(JSON.stringify(`Hello from ${p.name} (${this.tagPrefix}-`).slice(0, -1)),
        textPieces: countPieces(`Hello from ${p.name} (0).`),
        textAscii: isAscii(p.name),
        readings: new Array<Reading | undefined>(READINGS).fill(undefined),
        nextReading: 0,
      });
    }
    this.limits = resolveLimits({ maxPlans: options.maxPlans, ...options.limits });
    this.journal = new Journal(
      { maxEntries: 10_000, maxPerPlan: 500, maxBodyBytes: 8192, ...options.journal },
      new Redactor(),
    );
    this.addSecrets(options.secrets ?? []);
    this.metrics = new MockMetrics(this);
  }

  providerNames(): string[] {
    return [...this.providers.keys()];
  }

  /**
   * Validates and stores a plan; throws PlanError naming the field, or LimitError (413) when the plan
   * or the plan store is past a limit. `owner` is the key that may later read, delete or reset it
   * (without one, only the control token holder may; see control.ts); `bytes` what it weighs (the
   * length of the body it came in).
   */
  addPlan(raw: unknown, opts: { owner?: string; bytes?: number } = {}): Plan {
    const id = `p${(++this.planCounter).toString(36)}${randomBytes(4).toString("hex")}`;
    const plan = parsePlan(raw, this.providerNames(), id, this.limits);
    const weight = opts.bytes ?? JSON.stringify(plan.providers).length;
    this.expirePlans();
    if (this.plans.size >= this.limits.maxPlans) {
      throw new LimitError(
        413,
        "maxPlans",
        `the mock holds ${this.plans.size} plans, its limit (maxPlans); delete plans you no longer need (DELETE /_faultline/plans/{id}) or let them expire`,
      );
    }
    if (this.planBytes + weight > this.limits.maxPlanBytes) {
      throw new LimitError(
        413,
        "maxPlanBytes",
        `the plans held would weigh ${this.planBytes + weight} bytes, over the limit of ${bytes(this.limits.maxPlanBytes)} (maxPlanBytes); delete plans you no longer need`,
      );
    }
    this.plans.set(id, {
      state: new PlanState(plan),
      owner: digest(opts.owner ?? randomBytes(16).toString("hex")),
      bytes: weight,
    });
    this.planBytes += weight;
    return plan;
  }

  getPlan(id: string): Plan | undefined {
    return this.plans.get(id)?.state.plan;
  }

  /** Whether `owner` is the key the plan was registered with. */
  isOwner(id: string, owner: string | undefined): boolean {
    const p = this.plans.get(id);
    return !!p && owner !== undefined && timingSafeEqual(p.owner, digest(owner));
  }

  /** Plans held now. */
  get planCount(): number {
    return this.plans.size;
  }

  /** Requests each provider received since the mock started (the metrics read them at scrape time). */
  requestCounts(): Array<[string, number]> {
    return [...this.runtimes.values()].map((r) => [r.config.name, r.requests]);
  }

  /**
   * Adds values the journal redacts; answers how many were new. All or none: past `maxSecrets` (every
   * journal read searches each kept text for each secret) a LimitError, and a secret too short to redact
   * safely an Error naming its length.
   */
  addSecrets(given: Iterable<string>): number {
    const secrets = [...given];
    const redactor = this.journal.redactor;
    const held = redactor.size + redactor.newOf(secrets);
    if (held > this.limits.maxSecrets) {
      throw new LimitError(
        413,
        "maxSecrets",
        `the journal would redact ${held} secrets, over the limit of ${this.limits.maxSecrets} (maxSecrets); every journal read searches for each one`,
      );
    }
    return redactor.add(secrets);
  }

  /** Closes a journal entry once its answer is written (or the exchange ended otherwise), and counts it. */
  settle(entry: JournalEntry, reply: Reply, outcome: NonNullable<JournalEntry["outcome"]>): void {
    if (entry.answeredAt !== undefined) return;
    const now = Date.now();
    entry.answeredAt = now;
    // The client left before the reply was done (client_closed), or the mock finished it.
    if (outcome === "client_closed") entry.closedAt = now;
    else entry.endedAt = now;
    entry.outcome = outcome;
    entry.status = reply.fault ? undefined : reply.status;
    this.metrics.answered(entry);
  }

  deletePlan(id: string): boolean {
    this.journal.forgetPlan(id);
    return this.dropPlan(id);
  }

  private dropPlan(id: string): boolean {
    const p = this.plans.get(id);
    if (!p) return false;
    this.planBytes -= p.bytes;
    return this.plans.delete(id);
  }

  /** Forgets every plan, the whole journal and unplanned attempt counts. */
  reset(): void {
    this.plans.clear();
    this.planBytes = 0;
    this.unplanned.clear();
    this.journal.clear();
  }

  /** Forgets the plans of one owner and their journal entries; answers how many. */
  resetOwner(owner: string): number {
    const key = digest(owner);
    const ids = [...this.plans].filter(([, p]) => timingSafeEqual(p.owner, key)).map(([id]) => id);
    for (const id of ids) this.deletePlan(id);
    return ids.length;
  }

  /** Forgets plans past their time to live; the oldest come first, so the walk stops at the first young one. */
  private expirePlans(): void {
    const ttl = this.options.planTtlMs ?? 30 * 60_000;
    const now = Date.now();
    for (const [id, p] of this.plans) {
      if (now - p.state.plan.createdAt < ttl) break;
      this.dropPlan(id);
    }
  }

  /** What the provider refuses before any step: unparseable or schema-breaking bodies, unknown models. */
  private refuse(
    p: ProviderRuntime,
    model: string,
    raw: string,
    body: unknown,
  ): { kind: ErrorKind; message: string; reason: string } | undefined {
    if (raw && body === undefined) {
      const message = "We could not parse the JSON body of your request.";
      return { kind: "bad_request", message, reason: `the body is not JSON: ${message}` };
    }
    const invalid = p.dialect.validate?.(body);
    if (invalid)
      return { ...invalid, reason: `the body breaks ${p.config.dialect}'s schema: ${invalid.message}` };
    if (!p.anyModel && !p.models.has(model)) {
      return {
        kind: "not_found",
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        reason: `model "${model}" is not one ${p.config.name} serves (${p.config.models.join(", ")}); start the mock with --models ${model} (or * for any model)`,
      };
    }
    return undefined;
  }

  /** Finds the plan a request belongs to: the header first, then the marker in the body. */
  planIdOf(req: MockRequest): string | undefined {
    return this.planInHeader(req) ?? planInBody(req.body);
  }

  private planInHeader(req: MockRequest): string | undefined {
    const header = req.headers["x-faultline-plan"];
    if (header) return header.startsWith("faultline:") ? header.slice(10) : header;
    return undefined;
  }

  /**
   * What the body says, read once per distinct request: its route, whether the provider refuses it, and the
   * plan marker in it. All three are functions of the method, the subpath and the body text alone, so a
   * request identical to one of the provider's last few (a load test's, a storm's, two plans' requests in
   * turn) reuses the reading, where parsing the JSON again was the largest part of the mock's own work per
   * answer. Bodies past READING_MAX_CHARS are read every time, so a large one is not kept alive for this.
   */
  private read(p: ProviderRuntime, req: MockRequest, subpath: string): Reading {
    const readings = p.readings;
    for (let i = 0; i < READINGS; i++) {
      const r = readings[i];
      if (r !== undefined && r.body === req.body && r.subpath === subpath && r.method === req.method)
        return r;
    }
    let body: unknown;
    try {
      body = req.body ? JSON.parse(req.body) : undefined;
    } catch {
      body = undefined;
    }
    const route = p.dialect.route(req.method, subpath, body);
    const reading: Reading = {
      method: req.method,
      subpath,
      body: req.body,
      route,
      invalid: route?.op === "chat" ? this.refuse(p, route.model, req.body, body) : undefined,
      planInBody: planInBody(req.body),
    };
    if (req.body.length <= READING_MAX_CHARS) {
      readings[p.nextReading] = reading;
      p.nextReading = (p.nextReading + 1) % READINGS;
    }
    return reading;
  }

  /**
   * The provider a path names and the rest of the path; undefined when it names none. The last answer is
   * kept: a load test's or a storm's requests share one path, and one compare of it is cheaper than the
   * slices and the hashed lookup. The name is the provider's own string, so the lookups keyed by it
   * (attempt counts, the plan's streams) find its hash already computed.
   */
  private providerPath(path: string): ProviderPath | undefined {
    if (path === this.lastPath) return this.lastProviderPath;
    const slash = path.indexOf("/", 1);
    const p = this.runtimes.get(path.slice(1, slash === -1 ? undefined : slash));
    const t = p && { name: p.config.name, p, subpath: slash === -1 ? "/" : path.slice(slash) };
    this.lastPath = path;
    this.lastProviderPath = t;
    return t;
  }

  decide(req: MockRequest): Decision | undefined {
    const t = this.providerPath(req.path);
    if (!t) return undefined;
    const { name, p, subpath } = t;
    const d = p.dialect;
    const now = Date.now();
    const { route, invalid, planInBody } = this.read(p, req, subpath);
    const planId = this.planInHeader(req) ?? planInBody;
    const stored = planId ? this.plans.get(planId) : undefined;
    const state = stored?.state;
    let attempt: number;
    let random: () => number;
    if (state) {
      const a = state.attempt(name);
      attempt = a.attempts;
      random = a.random;
    } else {
      attempt = (this.unplanned.get(name) ?? 0) + 1;
      this.unplanned.set(name, attempt);
      random = this.unplannedRandom;
    }
    const ctx = this.context(p, route?.model, route?.stream ?? false, attempt, random, now, req.body.length);
    if (route?.includeUsage) ctx.includeUsage = true;
    let spec: StepSpec;
    let reply: Reply;
    let answers = false;
    if (!route) {
      spec = { step: "unknown_route" };
      reply = d.unknownRoute(ctx);
    } else if (route.op === "models") {
      spec = { step: "models" };
      reply = d.models(ctx, p.config.models);
    } else if (invalid) {
      // A real provider refuses a broken request or an unknown model whatever the plan says; the
      // journal says why, naming the model asked for and the models served.
      spec =
        invalid.kind === "not_found"
          ? { step: "refused", reason: invalid.reason, model: route.model, served: p.config.models }
          : { step: "refused", reason: invalid.reason };
      reply = d.error(invalid.kind, ctx, { message: invalid.message });
    } else {
      spec = state
        ? stepFor(state.plan, name, attempt, random)
        : (this.defaultPolicy?.(name, attempt, random) ?? OK);
      const r = resolveStep(spec);
      reply = r.def.reply(ctx, r.params);
      answers = r.answers;
    }
    const entry = this.record(req, name, p, state ? planId : undefined, attempt, spec, now);
    if (answers && reply.status === 200 && route?.op === "chat") {
      // What this attempt produced, so an answer can be traced to it (docs/contract.md §20, §21).
      const text = typeof spec.text === "string" ? spec.text : ctx.text;
      const c = text === ctx.text ? ctx : { ...ctx, text };
      const id = d.completionId?.(c);
      if (reply.delayMs) {
        // Each is a rope of two or three parts, every part an object that each scavenge during the delay
        // copies: an answer that waits keeps them flat. (An answer at once does not pay for the copy, about
        // 1,000 instructions for the two, `npm run bench:instructions`.)
        entry.completionId = id === undefined ? id : flat(id);
        entry.completionText = flat(text);
      } else {
        entry.completionId = id;
        entry.completionText = text;
      }
      if (!ctx.stream || d.streamUsage?.(c)) entry.usage = usageOf(c);
    }
    return { reply, entry, exchange: undefined };
  }

  /**
   * The answer to a request whose body went past `maxRequestBytes`: the provider's own 413, journaled as
   * refused with the limit named. The body was not kept, so only the `x-faultline-plan` header can tie
   * it to a plan. Undefined when the path names no provider.
   */
  decideTooLarge(req: MockRequest, reason: string): Decision | undefined {
    const t = this.providerPath(req.path);
    if (!t) return undefined;
    const { name, p } = t;
    const planId = this.planIdOf(req);
    const state = planId ? this.plans.get(planId)?.state : undefined;
    const attempt = state ? state.next(name) : 0;
    const now = Date.now();
    const ctx = this.context(p, undefined, false, attempt, this.unplannedRandom, now);
    const reply = p.dialect.error("too_large", ctx, { message: reason });
    const step = { step: "refused", reason };
    const entry = this.record(req, name, p, state ? planId : undefined, attempt, step, now);
    return { reply, entry, exchange: undefined };
  }

  private context(
    p: ProviderRuntime,
    model: string | undefined,
    stream: boolean,
    attempt: number,
    random: () => number,
    now: number,
    bodyLength = 0,
  ): StepContext {
    const n = (++this.requestCounter).toString(16);
    // Unique per attempt, as the id is: "Hello from alpha (1f3a-2c)." (a counter and a concatenation).
    const text = `${p.textHead}${n}).`;
    return {
      provider: p.config.name,
      model: model || p.config.models[0] || "model",
      stream,
      // The counter padded to eight digits first, a short flat string, then joined to the prefix.
      requestId: `${this.idPrefix}${n.length < 8 ? ZEROS[8 - n.length]! + n : n}`,
      text,
      completionTokens: p.textPieces,
      textCounted: text,
      // The tag is hex and a dash, which JSON leaves as they are: the text's JSON without a second pass.
      textCountedJson: `${p.textHeadJson}${n})."`,
      textCountedAscii: p.textAscii,
      nowS: Math.floor(now / 1000),
      // About four characters a token, as a provider's count roughly goes; at least one.
      promptTokens: (bodyLength + 3) >> 2 || 1,
      includeUsage: false,
      dialect: p.dialect,
      attempt,
      random,
    };
  }

  private record(
    req: MockRequest,
    name: string,
    p: ProviderRuntime,
    planId: string | undefined,
    attempt: number,
    step: StepSpec,
    /** When the request was decided (epoch ms): the context's `nowS` and the entry's `receivedAt` agree. */
    now: number,
  ): JournalEntry {
    p.requests++;
    // The entry itself, every field up front (the journal keeps this object, not a copy).
    return this.journal.record({
      seq: 0,
      planId,
      provider: name,
      dialect: p.config.dialect,
      attempt,
      method: req.method,
      path: req.path,
      query: req.rawQuery ?? req.query.toString(),
      headers: req.headers,
      body: req.body,
      bodyTruncated: false,
      step,
      receivedAt: now,
      answeredAt: undefined,
      endedAt: undefined,
      closedAt: undefined,
      status: undefined,
      outcome: undefined,
      completionId: undefined,
      completionText: undefined,
      usage: undefined,
    });
  }
}

const OK: StepSpec = Object.freeze({ step: "ok" });

/** "0" repeated 0 to 8 times: a counter padded with one short concatenation, where padStart took three. */
const ZEROS = Array.from({ length: 9 }, (_, k) => "0".repeat(k));

/**
 * Steps whose 200 carries a completion, whole or in part (a stream cut short, a truncated body): the
 * journal records the completion the attempt was producing.
 */
const ANSWERS: ReadonlySet<string> = new Set([
  "ok",
  "latency",
  "slow_stream",
  "stall",
  "headers_then_hang",
  "malformed_json",
  "stream_cut",
  "stream_reset",
  "close_clean",
  "stream_error",
]);

/**
 * A step's definition and its parameters without the `step` key, worked out once per spec object:
 * plans and scenarios hand out the same spec for every attempt, so the hot path does no object rest.
 */
interface Resolved {
  def: StepDef;
  params: Record<string, unknown>;
  /** The step is one of ANSWERS. */
  answers: boolean;
}
const resolved = new WeakMap<StepSpec, Resolved>();
// The last spec resolved: a run of one plan or a storm asks for the same spec again and again, and
// this compare is cheaper than the WeakMap's hash lookup.
let lastSpec: StepSpec | undefined;
let lastResolved: Resolved | undefined;
function resolveStep(spec: StepSpec): Resolved {
  if (spec === lastSpec) return lastResolved!;
  let r = resolved.get(spec);
  if (!r) {
    const def = stepDef(spec.step);
    if (!def) throw new PlanError(`unknown step "${spec.step}"`);
    const { step: _s, ...params } = spec;
    r = { def, params, answers: ANSWERS.has(spec.step) };
    resolved.set(spec, r);
  }
  lastSpec = spec;
  lastResolved = r;
  return r;
}

/** The plan id a body's marker names: what /faultline:([A-Za-z0-9_-]{1,64})/ captures first. */
function planInBody(body: string): string | undefined {
  // The id is read in place after each "faultline:": a regular expression cost a match array and a
  // capture per answer.
  for (let at = body.indexOf(MARKER); at !== -1; at = body.indexOf(MARKER, at + 1)) {
    const from = at + MARKER.length;
    let to = from;
    while (to - from < MAX_ID && idChar(body.charCodeAt(to))) to++;
    if (to > from) return body.slice(from, to);
  }
  return undefined;
}

/** The one JSON error shape of the control API. */
export function controlError(status: number, message: string): Reply {
  return json(status, { error: { message } });
}
