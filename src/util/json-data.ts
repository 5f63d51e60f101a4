/**
 * Whether a value survives JSON unchanged (what a journal, a worker or another process
 * receives): null, booleans, finite numbers, strings, arrays and plain objects of those
 * (an object property may be undefined: JSON leaves it out, and it reads back as
 * undefined). Anything else is named with its path.
 */

export interface NonJson {
  /** Where it is, from the root: `output.report.createdAt`, `input.files[2]`. */
  readonly path: string;
  /** What it is: `a Date`, `a function`, `NaN`, `a cycle`… */
  readonly found: string;
}

/** The first value under `value` that JSON would change or refuse, or undefined. */
export function findNonJson(value: unknown, root: string): NonJson | undefined {
  return walk(value, root, new Set());
}

function walk(value: unknown, path: string, seen: Set<object>): NonJson | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : { path, found: String(value) };
    case "undefined":
      return { path, found: "undefined" };
    case "bigint":
      return { path, found: "a bigint" };
    case "symbol":
      return { path, found: "a symbol" };
    case "function":
      return { path, found: "a function" };
  }
  if (value === null) return undefined;
  const object = value as object;
  if (seen.has(object)) return { path, found: "a cycle" };
  seen.add(object);
  try {
    if (Array.isArray(object)) {
      for (let i = 0; i < object.length; i++) {
        const found = walk(object[i], `${path}[${i}]`, seen);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const name = (object as { constructor?: { name?: string } }).constructor?.name;
      return { path, found: name === undefined || name === "" ? "a class instance" : `a ${name}` };
    }
    for (const key of Object.keys(object)) {
      const v = (object as Record<string, unknown>)[key];
      if (v === undefined) continue;
      const found = walk(
        v,
        /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`,
        seen,
      );
      if (found !== undefined) return found;
    }
    return undefined;
  } finally {
    seen.delete(object);
  }
}
