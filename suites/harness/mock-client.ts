import type { JournalEntry } from "../../mocks/journal.ts";

class ControlTimeout extends Error {}

/** Talks to the mock's control API, always with a deadline. */
export class MockClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
    private readonly timeoutMs = 5_000,
  ) {}

  /**
   * One call, asked once more when it timed out: on an overloaded machine an in-process mock can miss a
   * deadline while healthy, and every call is safe to repeat (a plan posted twice leaves one unused).
   */
  private async call<T>(method: string, path: string, body?: unknown, tries = 2): Promise<T> {
    try {
      return await this.once<T>(method, path, body);
    } catch (e) {
      if (tries > 1 && e instanceof ControlTimeout) return this.call(method, path, body, tries - 1);
      throw e;
    }
  }

  private async once<T>(method: string, path: string, body?: unknown): Promise<T> {
    let text: string;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/_faultline${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      // fetch's own words ("fetch failed", "aborted due to timeout") name neither the mock nor the call.
      const where = `the mock's control API at ${this.baseUrl}: ${method} ${path}`;
      if (e instanceof Error && e.name === "TimeoutError")
        throw new ControlTimeout(
          `${where} gave no answer within ${this.timeoutMs} ms (is the machine overloaded?)`,
        );
      const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
      throw new Error(`${where} failed: ${cause}`);
    }
    if (!res.ok) throw new Error(`mock ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  health(): Promise<{ ok: boolean; providers: string[]; dialects?: Record<string, string> }> {
    return this.call("GET", "/health");
  }

  addPlan(plan: unknown): Promise<{ id: string; marker: string }> {
    return this.call("POST", "/plans", plan);
  }

  async journal(planId: string): Promise<JournalEntry[]> {
    return (await this.call<{ entries: JournalEntry[] }>("GET", `/plans/${planId}/journal`)).entries;
  }

  async deletePlan(planId: string): Promise<void> {
    await this.call("DELETE", `/plans/${planId}`).catch(() => undefined);
  }
}
