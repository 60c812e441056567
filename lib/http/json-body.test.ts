import { describe, expect, it } from "vitest";
import { readJsonBody } from "./json-body";

const post = (body: BodyInit | null, headers: Record<string, string> = { "content-type": "application/json" }) =>
  new Request("http://localhost/api", { method: "POST", body, headers, ...(body instanceof ReadableStream ? { duplex: "half" } : {}) } as RequestInit);

describe("readJsonBody", () => {
  it("parses a JSON body, with or without a charset", async () => {
    expect(await readJsonBody(post('{"a":1}'), 1024)).toEqual({ ok: true, value: { a: 1 } });
    expect(await readJsonBody(post('{"é":"ü"}', { "content-type": "Application/JSON; charset=utf-8" }), 1024)).toEqual({ ok: true, value: { é: "ü" } });
  });

  it("refuses another content type with 415", async () => {
    expect(await readJsonBody(post("a=1", { "content-type": "application/x-www-form-urlencoded" }), 1024)).toMatchObject({ ok: false, status: 415 });
    expect(await readJsonBody(post('{"a":1}', {}), 1024)).toMatchObject({ ok: false, status: 415 });
  });

  it("refuses a body above the limit with 413, even when it streams in without a length", async () => {
    expect(await readJsonBody(post(JSON.stringify({ a: "x".repeat(2000) })), 1024)).toMatchObject({ ok: false, status: 413, error: "The body is larger than 1 KiB." });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(`"${"y".repeat(200)}"`));
        controller.close();
      },
    });
    expect(await readJsonBody(post(stream), 1024)).toMatchObject({ ok: false, status: 413 });
    expect(await readJsonBody(post(JSON.stringify("x".repeat(1000))), 1024)).toMatchObject({ ok: true });
  });

  it("answers 413 to an endless body whose source never finishes cancelling (a request still streaming in)", async () => {
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(512).fill(0x20));
      },
      // As a request's body does while the sender keeps sending: cancelling waits for a stream that does not end.
      cancel: () => new Promise<void>(() => {}),
    });
    const outcome = await Promise.race([readJsonBody(post(endless), 1024), new Promise((resolve) => setTimeout(() => resolve("no answer within 2 s"), 2_000))]);
    expect(outcome).toMatchObject({ ok: false, status: 413 });
  });

  it("refuses empty, malformed and non-UTF-8 bodies with 400", async () => {
    expect(await readJsonBody(post(""), 1024)).toMatchObject({ ok: false, status: 400, error: "The body is empty; send a JSON object." });
    expect(await readJsonBody(post("{nope"), 1024)).toMatchObject({ ok: false, status: 400, error: "The body is not valid JSON." });
    expect(await readJsonBody(post(new Uint8Array([0x22, 0xff, 0x22])), 1024)).toMatchObject({ ok: false, status: 400, error: "The body is not valid UTF-8." });
  });

  it("refuses JSON nested deeper than 32 levels before parsing it, and text PostgreSQL cannot store, with 400", async () => {
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    expect(await readJsonBody(post(deep), 64 * 1024)).toEqual({ ok: false, status: 400, error: "The JSON is nested deeper than 32 levels." });
    expect(await readJsonBody(post(JSON.stringify({ sub: "a\u0000" })), 1024)).toEqual({
      ok: false,
      status: 400,
      error: "The JSON is not acceptable: a string at sub contains the character U+0000, which cannot be stored.",
    });
    expect(await readJsonBody(post(JSON.stringify({ sub: "\ud800" })), 1024)).toMatchObject({ ok: false, status: 400, error: expect.stringMatching(/lone UTF-16 surrogate/) });
    const deepest = `${"[".repeat(32)}${"]".repeat(32)}`;
    expect(await readJsonBody(post(deepest), 1024)).toMatchObject({ ok: true });
  });
});
