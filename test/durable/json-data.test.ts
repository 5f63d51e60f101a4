import { describe, expect, it } from "vitest";
import { findNonJson } from "../../src/util/json-data.js";

describe("findNonJson", () => {
  it("accepts what JSON keeps, undefined properties included", () => {
    const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
    expect(findNonJson({ a: [1, "x", true, null, { b: -0.5 }], c: undefined, d: nullProto }, "output")).toBeUndefined();
  });

  it.each([
    [{ at: new Date(0) }, "output.at", "a Date"],
    [{ m: new Map() }, "output.m", "a Map"],
    [{ n: Number.NaN }, "output.n", "NaN"],
    [{ n: [1, Number.POSITIVE_INFINITY] }, "output.n[1]", "Infinity"],
    [{ list: [undefined] }, "output.list[0]", "undefined"],
    [{ f: () => 1 }, "output.f", "a function"],
    [{ big: 1n }, "output.big", "a bigint"],
    [{ "odd key": { s: Symbol("s") } }, 'output["odd key"].s', "a symbol"],
    [{ c: new (class Point {})() }, "output.c", "a Point"],
  ])("names %o at its path", (value, path, found) => {
    expect(findNonJson(value, "output")).toEqual({ path, found });
  });

  it("names a cycle, and accepts the same object twice side by side", () => {
    const shared = { x: 1 };
    expect(findNonJson({ a: shared, b: shared }, "v")).toBeUndefined();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(findNonJson(loop, "v")).toEqual({ path: "v.self", found: "a cycle" });
  });
});
