/**
 * Numbers in SVG attributes: one decimal is finer than a pixel and keeps large
 * diagrams small.
 */

/**
 * A coordinate with at most one decimal (and no `-0`).
 *
 * @example
 * num(12.345); // "12.3"
 * num(7); // "7"
 */
export function num(n: number): string {
  const rounded = Math.round(n * 10) / 10;
  return String(rounded === 0 ? 0 : rounded);
}
