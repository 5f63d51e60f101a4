/**
 * A step's markers (`↻3 ⏱5s ↶`) as SVG. The retry and compensation arrows are
 * text: common sans-serif fonts have them. The stopwatch is an emoji that many
 * fonts lack (it shows as a missing-glyph box in librsvg on a server), so the SVG
 * draws it as a small clock instead.
 */

import { escapeXml } from "./escape.js";
import { num } from "./svg-number.js";
import { textWidth } from "./text-metrics.js";

const TIMEOUT_GLYPH = "⏱";
const GAP = 5;

/** One marker: a drawn clock (timeouts) and its text. */
interface MarkerPart {
  readonly clock: boolean;
  readonly text: string;
  readonly width: number;
}

function parts(markers: readonly string[], fontSize: number): MarkerPart[] {
  return markers.map((marker) => {
    const clock = marker.startsWith(TIMEOUT_GLYPH);
    const text = clock ? marker.slice(TIMEOUT_GLYPH.length) : marker;
    return { clock, text, width: (clock ? fontSize + 1 : 0) + textWidth(text, fontSize) };
  });
}

/**
 * Width of a marker line, as `markersSvg` draws it.
 *
 * @example
 * markersWidth(["↻3", "⏱5s"], 11); // ≈ 50
 */
export function markersWidth(markers: readonly string[], fontSize: number): number {
  const all = parts(markers, fontSize);
  return all.reduce((sum, p) => sum + p.width, 0) + GAP * Math.max(0, all.length - 1);
}

/**
 * A clock icon whose circle has its centre at (`cx`, `cy`), `size` px across.
 *
 * @example
 * clockSvg(10, 10, 11, "#475569"); // "<g class=\"clock\">…</g>"
 */
export function clockSvg(cx: number, cy: number, size: number, colour: string): string {
  const r = size * 0.4;
  const hand = r * 0.62;
  return (
    `<g class="clock" fill="none" stroke="${escapeXml(colour)}" stroke-width="1.1" stroke-linecap="round">` +
    `<circle cx="${num(cx)}" cy="${num(cy)}" r="${num(r)}"/>` +
    `<path d="M${num(cx)} ${num(cy - hand)} V${num(cy)} H${num(cx + hand * 0.8)} M${num(cx - 1.2)} ${num(cy - r - 1.4)} H${num(cx + 1.2)}"/>` +
    "</g>"
  );
}

/**
 * A marker line centred on `x` with its baseline at `y`.
 *
 * @example
 * markersSvg(["↻3", "⏱5s", "↶"], 120, 40, 11, "#475569");
 */
export function markersSvg(markers: readonly string[], x: number, y: number, fontSize: number, colour: string): string {
  const all = parts(markers, fontSize);
  let left = x - markersWidth(markers, fontSize) / 2;
  const out: string[] = [`<g class="markers" font-size="${fontSize}" fill="${escapeXml(colour)}">`];
  for (const part of all) {
    let textX = left;
    if (part.clock) {
      out.push(clockSvg(left + fontSize / 2, y - fontSize * 0.36, fontSize, colour));
      textX += fontSize + 1;
    }
    out.push(`<text x="${num(textX)}" y="${num(y)}">${escapeXml(part.text)}</text>`);
    left += part.width + GAP;
  }
  out.push("</g>");
  return out.join("");
}
