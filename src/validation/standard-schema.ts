/**
 * Validation through Standard Schema (https://standardschema.dev): zod, valibot,
 * arktype and others implement it, so users validate with the library they already use.
 */

import type { StandardSchemaV1 } from "@standard-schema/spec";
import { ValidationError, type ValidationIssue } from "../errors.js";

export type { StandardSchemaV1 };

/** Whether a value is a Standard Schema (has a `~standard.validate` function). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const props = (value as { "~standard"?: { validate?: unknown } } | null | undefined)?.["~standard"];
  return typeof props === "object" && props !== null && typeof props.validate === "function";
}

/**
 * Validate `value`: the schema's output (parsed, defaulted) value, or a thrown
 * ValidationError listing every issue with its path. Synchronous schemas answer
 * synchronously; only an asynchronous schema returns a promise (rejected on failure).
 */
export function validate<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  what: string,
  step?: string,
): StandardSchemaV1.InferOutput<S> | Promise<StandardSchemaV1.InferOutput<S>> {
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) return result.then((r) => unwrap(r, what, step));
  return unwrap(result, what, step);
}

function unwrap<T>(result: StandardSchemaV1.Result<T>, what: string, step: string | undefined): T {
  if (result.issues === undefined) return result.value;
  const issues: ValidationIssue[] = result.issues.map((issue) => ({
    message: issue.message,
    path: (issue.path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment)),
  }));
  const list = issues.map((i) => `${i.path.length > 0 ? `${i.path.map(String).join(".")}: ` : ""}${i.message}`);
  throw new ValidationError(`${what} is invalid: ${list.join("; ")}`, issues, { step });
}
