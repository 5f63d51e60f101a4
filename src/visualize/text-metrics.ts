/**
 * Text width without a browser: an estimate per character class, tuned on the
 * common sans-serif fonts (Helvetica, Arial, DejaVu Sans) and erring wide, so boxes
 * sized from it hold their label whichever of those fonts renders the SVG.
 */

const NARROW = new Set("iljI.,:;|!'`");
const SEMI_NARROW = new Set('frt()[]{}/\\-"');
const WIDE = new Set("mwMW@%");

/** Width of one code point, in ems. */
function charWidth(code: number, char: string): number {
  if (code === 0x20) return 0.32;
  if (code < 0x80) {
    if (NARROW.has(char)) return 0.3;
    if (SEMI_NARROW.has(char)) return 0.42;
    if (WIDE.has(char)) return 0.92;
    if (char >= "A" && char <= "Z") return 0.72;
    return 0.6;
  }
  // Combining marks and zero-width characters take no room of their own.
  if ((code >= 0x300 && code <= 0x36f) || (code >= 0x200b && code <= 0x200f) || (code >= 0xfe00 && code <= 0xfe0f)) {
    return 0;
  }
  // East Asian wide characters and emoji are about a full em.
  if (code >= 0x1100 && (code <= 0x115f || (code >= 0x2e80 && code <= 0xa4cf) || code >= 0xac00)) return 1.05;
  if (code >= 0x2190 && code <= 0x2bff) return 1; // arrows and symbols (↻ ↶ ⏱)
  return 0.68;
}

/**
 * Estimated width of `text` in px at `fontSize`, a little generous.
 *
 * @example
 * textWidth("parse_files", 14); // ≈ 90
 */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let ems = 0;
  for (const char of text) ems += charWidth(char.codePointAt(0)!, char);
  return ems * fontSize * (bold ? 1.08 : 1);
}
