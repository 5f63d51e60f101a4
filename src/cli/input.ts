/** `--input JSON` or `--input @file.json`. */

import { readFileSync } from "node:fs";
import { CliError } from "./cli-error.js";

export function parseInput(text: string | undefined, fallback: unknown): unknown {
  if (text === undefined) return fallback ?? {};
  let json = text;
  let where = "--input";
  if (text.startsWith("@")) {
    where = text.slice(1);
    try {
      json = readFileSync(where, "utf8");
    } catch (error) {
      throw new CliError(`Could not read the input file ${where}: ${(error as Error).message}`);
    }
  }
  const hint = `Pass a JSON object, e.g. --input '{"root": "src"}', or a file with --input @input.json.`;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new CliError(`${where} is not valid JSON (${(error as Error).message}).`, hint);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new CliError(`${where} must be a JSON object, got ${got}.`, hint);
  }
  return value;
}
