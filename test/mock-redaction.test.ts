// Secrets in the journal: credential-named headers and query parameters show only a fingerprint, and so
// does any value the user configured as a secret, wherever it appears (header, query, body).
import { afterAll, describe, expect, it } from "vitest";
import { fingerprint, isSecretName, Redactor } from "../core/redact.ts";
import { type MockServer, type MockServerOptions, startMock } from "../mocks/server.ts";
import { controlTokenOf, secretsOf } from "../scripts/cli/mock.ts";

const servers: MockServer[] = [];
async function mockWith(opts: MockServerOptions = {}): Promise<MockServer> {
  const m = await startMock(opts);
  servers.push(m);
  return m;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const redacted = (v: string) => `[redacted sha256:${fingerprint(v)}]`;

async function send(m: MockServer, path: string, headers: Record<string, string>, body: unknown) {
  const res = await fetch(m.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  await res.arrayBuffer();
  return m.engine.journal.query().at(-1)!;
}

describe("credentials by name", () => {
  it("redacts Gemini's ?key=, ?api_key=, x-goog-api-key, x-amz-security-token, x-portkey-api-key", async () => {
    const m = await mockWith({ providers: [{ name: "delta", dialect: "gemini", models: ["*"] }] });
    const e = await send(
      m,
      "/delta/v1beta/models/gemini-2.5-flash:generateContent?key=AIzaSyGeminiKey123&alt=json&api_key=sk-other%2Bkey",
      {
        "x-goog-api-key": "AIzaSyHeaderKey456",
        "x-amz-security-token": "FwoGZXIvYXdzEJr-session",
        "x-portkey-api-key": "pk-portkey-789",
        "x-portkey-trace-id": "trace-1",
        "idempotency-key": "idem-1",
      },
      { contents: [{ role: "user", parts: [{ text: "hi" }] }] },
    );
    expect(e.query).toBe(
      `key=${redacted("AIzaSyGeminiKey123")}&alt=json&api_key=${redacted("sk-other+key")}`,
    );
    expect(e.headers["x-goog-api-key"]).toBe(redacted("AIzaSyHeaderKey456"));
    expect(e.headers["x-amz-security-token"]).toBe(redacted("FwoGZXIvYXdzEJr-session"));
    expect(e.headers["x-portkey-api-key"]).toBe(redacted("pk-portkey-789"));
    // Names that only look alike keep their values: people debugging a gateway read them.
    expect(e.headers["x-portkey-trace-id"]).toBe("trace-1");
    expect(e.headers["idempotency-key"]).toBe("idem-1");
    const raw = JSON.stringify(await (await fetch(`${m.url}/_faultline/journal`)).json());
    for (const secret of [
      "AIzaSyGeminiKey123",
      "AIzaSyHeaderKey456",
      "FwoGZXIvYXdzEJr",
      "pk-portkey-789",
      "sk-other",
    ])
      expect(raw).not.toContain(secret);
  });

  it.each([
    ["authorization", true],
    ["X-Amz-Signature", true],
    ["X-Amz-Credential", true],
    ["client_secret", true],
    ["apiKey", true],
    ["access_token", true],
    ["cookie", true],
    ["x-api-key", true],
    ["token", true],
    // Written in one piece or in capitals: the qualifier and the credential run together.
    ["apitoken", true],
    ["ACCESSTOKEN", true],
    ["accesskey", true],
    ["secretkey", true],
    ["privatekey", true],
    ["sessiontoken", true],
    ["X-SUBSCRIPTIONKEY", true],
    ["pwd", true],
    ["content-type", false],
    ["monkey", false],
    ["hockey", false],
    ["keyboard", false],
    ["x-request-id", false],
    ["alt", false],
  ])("judges %s secret: %s", (name, secret) => {
    expect(isSecretName(name)).toBe(secret);
  });
});

describe("configured secrets", () => {
  const secret = "sk-configured-0123456789";

  it("redacts a configured value wherever it appears: any header, the query, the body", async () => {
    const m = await mockWith({ secrets: [secret] });
    const e = await send(
      m,
      `/alpha/v1/chat/completions?trace=${secret}`,
      { "x-forwarded-credential-copy": `prefix ${secret}`, "x-custom": secret },
      { model: "gpt-4o-mini", messages: [{ role: "user", content: `echo ${secret}` }] },
    );
    expect(e.headers["x-custom"]).toBe(redacted(secret));
    // Named a credential: the whole value is a fingerprint, the configured secret in it with it.
    expect(e.headers["x-forwarded-credential-copy"]).toBe(redacted(`prefix ${secret}`));
    expect(e.query).toBe(`trace=${redacted(secret)}`);
    expect(e.body).toContain(`echo ${redacted(secret)}`);
    expect(JSON.stringify(e)).not.toContain(secret);
  });

  it("redacts a configured value in the path, as written or percent-encoded", async () => {
    const odd = "sk-with space/and+plus-0123";
    const m = await mockWith({ secrets: [secret, odd] });
    const plain = await send(m, `/alpha/v1/keys/${secret}/chat/completions`, {}, {});
    expect(plain.path).toBe(`/alpha/v1/keys/${redacted(secret)}/chat/completions`);
    const encoded = await send(m, `/alpha/v1/keys/${encodeURIComponent(odd)}/chat/completions`, {}, {});
    expect(encoded.path).toBe(`/alpha/v1/keys/${redacted(odd)}/chat/completions`);
    const raw = await (await fetch(`${m.url}/_faultline/journal`)).text();
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain(encodeURIComponent(odd));
  });

  it("redacts what is left of a secret that the body's cap cut in two", async () => {
    const m = await mockWith({ secrets: [secret], journal: { maxBodyBytes: 256 } });
    // The JSON before the content is fixed: pad the content so the cap falls `keep` characters into the secret.
    const head = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "" }] });
    const before = head.indexOf('""') + 1;
    for (const keep of [3, 10, secret.length - 1]) {
      const pad = "x".repeat(256 - before - keep);
      const e = await send(
        m,
        "/alpha/v1/chat/completions",
        {},
        {
          model: "gpt-4o-mini",
          messages: [{ role: "user", content: `${pad}${secret} and more` }],
        },
      );
      expect(e.bodyTruncated).toBe(true);
      expect(e.body).toBe(`${head.slice(0, before)}${pad}[redacted sha256:${fingerprint(secret)}, cut]`);
      expect(e.body).not.toContain(secret.slice(0, keep));
    }
    // Two characters are left as they are: a key's first ones are its public prefix, and any text ends in some.
    const e = await send(
      m,
      "/alpha/v1/chat/completions",
      {},
      {
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: `${"x".repeat(256 - before - 2)}${secret}` }],
      },
    );
    expect(e.body.endsWith(secret.slice(0, 2))).toBe(true);
  });

  it("takes secrets from the control token holder, redacts the entries already kept, never echoes them", async () => {
    const token = "control-token-0123456789";
    const m = await mockWith({ token });
    const late = "sk-late-secret-987654321";
    const before = await send(
      m,
      "/alpha/v1/chat/completions",
      { "x-custom": late },
      {
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "hi" }],
      },
    );
    expect(before.headers["x-custom"]).toBe(late);
    const post = (auth?: string, body: unknown = { secrets: [late] }) =>
      fetch(`${m.url}/_faultline/secrets`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      });
    expect((await post()).status).toBe(401);
    const tooShort = await post(token, { secrets: ["short"] });
    expect(tooShort.status).toBe(400);
    expect(await tooShort.text()).toContain("at least 8");
    const ok = await post(token);
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(JSON.parse(text)).toEqual({ added: 1, secrets: 1 });
    expect(text).not.toContain(late);
    // The entry journaled before the secret was given reads redacted now too.
    const again = m.engine.journal.query().find((e) => e.seq === before.seq)!;
    expect(again.headers["x-custom"]).toBe(redacted(late));
    const after = await send(
      m,
      "/alpha/v1/chat/completions",
      { "x-custom": late },
      {
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "hi" }],
      },
    );
    expect(after.headers["x-custom"]).toBe(redacted(late));
  });

  it("refuses secrets too short to redact safely", () => {
    expect(() => new Redactor(["abc"])).toThrow(/at least 8/);
  });

  it("refuses secrets past maxSecrets with 413 naming it, keeping those it held", async () => {
    const token = "control-token-0123456789";
    const m = await mockWith({ token, secrets: ["secret-one-1"], limits: { maxSecrets: 3 } });
    const add = (secrets: string[]) =>
      fetch(`${m.url}/_faultline/secrets`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ secrets }),
        signal: AbortSignal.timeout(5_000),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    // One held again and one new: two held, within the limit.
    expect(await add(["secret-one-1", "secret-two-2"])).toEqual({
      status: 200,
      body: { added: 1, secrets: 2 },
    });
    const over = await add(["secret-three-3", "secret-four-4"]);
    expect(over.status).toBe(413);
    expect(over.body.error.message).toBe(
      "the journal would redact 4 secrets, over the limit of 3 (maxSecrets); every journal read searches for each one",
    );
    // Refused whole: not one of the two was taken.
    expect(m.engine.journal.redactor.size).toBe(2);
    await expect(
      startMock({ secrets: ["s-0000001", "s-0000002", "s-0000003", "s-0000004"], limits: { maxSecrets: 3 } }),
    ).rejects.toThrow("the journal would redact 4 secrets, over the limit of 3 (maxSecrets)");
  });
});

describe("the command line", () => {
  it("takes the control token from the flag, then FAULTLINE_CONTROL_TOKEN, then FAULTLINE_MOCK_TOKEN", () => {
    const t = (c: string) => c.repeat(16);
    expect(controlTokenOf(t("a"), { FAULTLINE_CONTROL_TOKEN: t("b") })).toEqual({
      token: t("a"),
      from: "--control-token",
    });
    expect(
      controlTokenOf(undefined, { FAULTLINE_CONTROL_TOKEN: t("b"), FAULTLINE_MOCK_TOKEN: t("c") }),
    ).toEqual({
      token: t("b"),
      from: "FAULTLINE_CONTROL_TOKEN",
    });
    expect(controlTokenOf(undefined, { FAULTLINE_MOCK_TOKEN: t("c") })).toEqual({
      token: t("c"),
      from: "FAULTLINE_MOCK_TOKEN",
    });
    expect(controlTokenOf(undefined, {})).toEqual({});
    expect(() => controlTokenOf("short", {})).toThrow(
      "--control-token: expected a token of at least 16 characters, saw 5",
    );
  });

  it("takes secrets from --secret and FAULTLINE_SECRETS, refusing short ones by where they came from", () => {
    expect(secretsOf(["secret-one-1"], { FAULTLINE_SECRETS: "secret-two-2, secret-three-3" })).toEqual([
      "secret-one-1",
      "secret-two-2",
      "secret-three-3",
    ]);
    expect(() => secretsOf([], { FAULTLINE_SECRETS: "long-enough-1,abc" })).toThrow(
      "FAULTLINE_SECRETS[1]: expected a secret of at least 8 characters",
    );
  });
});
