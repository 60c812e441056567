import { describe, expect, it } from "vitest";
import { actionReplyProblem, type ReplyPart } from "./action-reply";

const text = (body: string) => actionReplyProblem((id) => (id === "0" ? body : null), false);
const multipart = (parts: Record<string, ReplyPart>) => actionReplyProblem((id) => parts[id] ?? null, true);

describe("rule: a server action's arguments must be a reply React can decode into plain data", () => {
  it("accepts what React's client sends for plain data", () => {
    for (const body of [
      "[]",
      '[{"env":"dev","name":"sales.read","description":""}]',
      '["$$5 off", "$undefined", "$NaN", "$Infinity", "$-Infinity", "$-0", "$D2026-12-02T00:00:00.000Z", "$D0000-01-01", "$n2147483648", "$n-1"]',
      '[{"a":{"b":[1]}},"$0:0:a"]',
      '[{"same":[1,2]},"$0:0:same"]',
    ]) {
      expect(text(body), body).toBeNull();
    }
  });

  it("refuses arguments that are not a list", () => {
    for (const body of ["1", '"x"', "null", '{"a":1}']) expect(text(body), body).toBe("The action's arguments must be a JSON array.");
  });

  it("refuses references to parts that were not sent, or to paths that do not exist", () => {
    expect(text('["$1"]')).toBe("The arguments refer to a part 1 that was not sent.");
    expect(text('["$a:x"]')).toBe("The arguments refer to a part 10 that was not sent.");
    expect(text('[{"a":1},"$0:0:b"]')).toBe("The arguments refer to a path $0:0:b that does not exist.");
    expect(text('["x","$0:0:length"]')).toBe("The arguments refer to a path $0:0:length that does not exist.");
  });

  it("refuses kinds of value Warden's actions never take", () => {
    for (const value of ["$@1", "$Q1", "$W1", "$F1", "$i1", "$T", "$R1", "$X1", "$S", "$Y", "$h1", "$l1", "$AB", "$nabc", "$B1", "$K1", "$"]) {
      expect(text(JSON.stringify([value])), value).toMatch(/^The arguments hold a value Warden's actions never take/);
    }
  });

  it("keeps the shared JSON rules for every part it reads", () => {
    expect(text('["a\\u0000"]')).toMatch(/U\+0000/);
    expect(text("[".repeat(33) + "]".repeat(33))).toBe("The JSON is nested deeper than 32 levels.");
    expect(multipart({ "0": '["$1"]', "1": "[".repeat(40) })).toBe("Part 1 of the arguments: The JSON is nested deeper than 32 levels.");
  });

  it("in a multipart reply, follows references to other parts, files and form data", () => {
    const file = new File([new Uint8Array([1, 2, 3])], "logo.png");
    expect(multipart({ "0": '[{"logo":"$B1"},"$2"]', "1": file, "2": '{"nested":"$K3"}' })).toBeNull();
    expect(multipart({ "0": '["$B1"]', "1": "not a file" })).toBe("The arguments refer to a file $B1 that was not sent.");
    expect(multipart({ "0": '["$2"]', "2": '["$@1"]' })).toMatch(/never take \(\$@1\)/);
    expect(multipart({ "1": "[]" })).toBe("The action's arguments are missing.");
    expect(multipart({ "0": file })).toBe("The action's arguments are missing.");
  });

  it("survives a reference cycle", () => {
    expect(multipart({ "0": '["$1"]', "1": '["$0", "$1"]' })).toBeNull();
  });
});
