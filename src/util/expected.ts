/**
 * The one message template for bad option values:
 * ``Expected `timeout` to be a positive number, got `-1` (number)``.
 */
export function expected(name: string, what: string, value: unknown): string {
  return `Expected \`${name}\` to be ${what}, got \`${show(value)}\` (${value === null ? "null" : typeof value})`;
}

function show(value: unknown): string {
  if (typeof value === "function") return value.name ? `[function ${value.name}]` : "[function]";
  if (typeof value === "string") return JSON.stringify(value);
  // JSON shows NaN and ±Infinity as null, and cannot show a bigint or a symbol.
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "symbol") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
