/**
 * Escaping for the three output formats. Step names are any non-empty string, so
 * each format gets text that cannot break out of where it is written:
 *
 * - identifiers: only `[A-Za-z0-9_]`, with a prefix (Mermaid treats `end`, `o`/`x`
 *   after an arrow, and `-` specially) and made unique, since two names can
 *   sanitise to the same identifier;
 * - Mermaid labels: double-quoted, with the characters Mermaid reads as syntax or
 *   HTML written as its `#code;` entities;
 * - DOT strings: double-quoted escStrings (backslash and quote escaped);
 * - XML text and attributes: the five entities, and characters XML 1.0 forbids
 *   replaced by U+FFFD.
 */

/** Characters XML 1.0 does not allow anywhere. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters to remove
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
/** A surrogate that is not half of a pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters end a line in every format
const CONTROL = /[\u0000-\u001F\u007F]/g;
const XML_ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

/**
 * Escape text for an XML text node or a double- or single-quoted attribute value.
 * Tabs and line breaks are written as character references, so attribute values
 * keep them (a parser would otherwise normalise them to spaces).
 *
 * @example
 * escapeXml(`a < b & "c"`); // "a &lt; b &amp; &quot;c&quot;"
 */
export function escapeXml(text: string): string {
  return text
    .replace(XML_INVALID, "\uFFFD")
    .replace(LONE_SURROGATE, "\uFFFD")
    .replace(/[&<>"'\t\n\r]/g, (c) => XML_ENTITIES[c]!);
}

/**
 * A Mermaid label: double-quoted, with `"`, `#`, `&`, `<`, `>`, `|` and backticks
 * written as Mermaid entity codes (`#34;`…), so they show as themselves and are never
 * read as syntax, HTML or markdown. Line breaks become spaces.
 *
 * @example
 * mermaidLabel(`say "hi" <b>`); // "\"say #34;hi#34; #60;b#62;\""
 */
export function mermaidLabel(text: string): string {
  const safe = text.replace(CONTROL, " ").replace(/["#&<>|`]/g, (c) => `#${c.charCodeAt(0)};`);
  return `"${safe}"`;
}

/**
 * A DOT double-quoted string (an escString): backslashes and quotes escaped, line
 * breaks written as `\n` (a centred line break in a label).
 *
 * @example
 * dotString(`say "hi"`); // "\"say \\\"hi\\\"\""
 */
export function dotString(text: string): string {
  const safe = text
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\r\n?|\n/g, "\\n")
    .replace(CONTROL, " ");
  return `"${safe}"`;
}

/**
 * Hands out identifiers made only of `[A-Za-z0-9_]`, each with the given prefix and
 * unique within this allocator: `"parse files"` → `step_parse_files`, and a second
 * name that sanitises the same way gets a numeric suffix.
 *
 * @example
 * const ids = new IdAllocator();
 * ids.next("step_", "parse files"); // "step_parse_files"
 * ids.next("step_", "parse-files"); // "step_parse_files_2"
 */
export class IdAllocator {
  readonly #taken = new Set<string>();

  /** A fresh identifier for `name`, starting with `prefix` (which must itself be safe). */
  next(prefix: string, name: string): string {
    const base = prefix + name.replace(/[^A-Za-z0-9_]/g, "_");
    let id = base;
    for (let n = 2; this.#taken.has(id); n++) id = `${base}_${n}`;
    this.#taken.add(id);
    return id;
  }
}
