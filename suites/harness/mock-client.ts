import type { JournalEntry } from "../../mocks/journal.ts";

/** Talks to the mock's control API, always with a deadline. */
export class MockClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
    private readonly timeoutMs = 5_000,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}/_faultline${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
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
