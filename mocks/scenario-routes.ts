import { json } from "./dialects/types.ts";
import { controlError, type MockEngine } from "./engine.ts";
import { type ScenarioEvent, ScenarioPlayer, type ScenarioStatus } from "./scenario.ts";
import { parseScenarioText, type Scenario, ScenarioError } from "./scenario-schema.ts";
import type { MockRequest, Reply } from "./types.ts";

/** The one scenario a mock plays at a time, and the control routes that switch it at runtime. */
export class ScenarioHost {
  private player: ScenarioPlayer | undefined;

  constructor(
    private readonly engine: MockEngine,
    private readonly onEvent?: (e: ScenarioEvent) => void,
  ) {}

  /** Replaces whatever was playing. */
  play(scenario: Scenario): ScenarioStatus {
    this.player?.stop("replaced");
    this.player = new ScenarioPlayer(this.engine, scenario, this.onEvent).start();
    return this.player.status();
  }

  /** Stops the current scenario; answers its name, or undefined when none was playing. */
  stop(): string | undefined {
    const p = this.player;
    this.player = undefined;
    p?.stop();
    return p?.scenario.name;
  }

  /** The current (or last ended) scenario, or null. */
  status(): ScenarioStatus | null {
    return this.player?.status() ?? null;
  }

  /**
   * `PUT /_faultline/scenario` (body: scenario YAML or JSON; `?seed=N` overrides its seed),
   * `GET /_faultline/scenario`, `DELETE /_faultline/scenario`. Plugs into ControlOptions.extraRoutes.
   */
  readonly routes = (req: MockRequest, sub: string): Reply | undefined => {
    if (sub !== "/scenario") return undefined;
    if (req.method === "GET") return json(200, { scenario: this.status() });
    if (req.method === "DELETE") return json(200, { stopped: this.stop() ?? null });
    if (req.method !== "PUT") {
      return controlError(405, `${req.method} ${req.path} is not supported; expected GET, PUT or DELETE`);
    }
    const seedText = req.query.get("seed");
    const seed = seedText === null ? undefined : Number(seedText);
    if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
      return controlError(400, `seed: expected an integer between 0 and ${2 ** 32 - 1}, saw "${seedText}"`);
    }
    try {
      const scenario = parseScenarioText(req.body, {
        providers: this.engine.providerNames(),
        seed,
        limits: this.engine.limits,
      });
      return json(200, { scenario: this.play(scenario) });
    } catch (e) {
      if (e instanceof ScenarioError) {
        if (e.limit) this.engine.metrics.refused(e.limit);
        return controlError(e.status, e.message);
      }
      throw e;
    }
  };
}
