/**
 * Errors as data and back: `serializeError` describes any error as plain JSON (name,
 * code, message, step, retryable, the `cause` chain, and the class's own fields in
 * `details`); `deserializeError` rebuilds it into the same class, with the same
 * message and fields, so an error read back from a journal, a worker or another
 * process is matched with `instanceof` and `code` like the original.
 */

import { classOfCode, describe, WorkflowError } from "./errors.js";

/**
 * The JSON-safe shape of an error, as it appears in results, events and traces.
 *
 * @example
 * const { name, code, message, step, cause }: SerializedError = serializeError(error);
 */
export interface SerializedError {
  name: string;
  code: string;
  message: string;
  step?: string;
  retryable?: boolean;
  cause?: SerializedError | string;
  /** The error class's own fields (`timeoutMs`, `attempts`, `missing`, `issues`…), as JSON. */
  details?: Record<string, unknown>;
}

/** Fields every WorkflowError has, carried outside `details`. */
const COMMON = new Set(["name", "code", "message", "step", "retryable", "cause", "stack"]);
const MAX_DEPTH = 5;

/**
 * Describe any error (or thrown value) as plain JSON, following `cause` chains.
 *
 * @example
 * if (result.status !== "succeeded") {
 *   logger.error({ executionId: result.executionId, error: serializeError(result.error) });
 * }
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (error instanceof WorkflowError) {
    const out: SerializedError = { name: error.name, code: error.code, message: error.message };
    if (error.step !== undefined) out.step = error.step;
    out.retryable = error.retryable;
    if (error.cause !== undefined && depth < MAX_DEPTH) out.cause = serializeCause(error.cause, depth + 1);
    const details: Record<string, unknown> = {};
    for (const key of Object.keys(error)) {
      if (!COMMON.has(key)) details[key] = toData((error as unknown as Record<string, unknown>)[key], depth + 1);
    }
    if (Object.keys(details).length > 0) out.details = details;
    return out;
  }
  if (error instanceof Error) {
    const out: SerializedError = { name: error.name, code: "ERROR", message: error.message };
    if (error.cause !== undefined && depth < MAX_DEPTH) out.cause = serializeCause(error.cause, depth + 1);
    return out;
  }
  return { name: "NonError", code: "ERROR", message: describe(error) };
}

function serializeCause(cause: unknown, depth: number): SerializedError | string {
  return cause instanceof Error ? serializeError(cause, depth) : describe(cause);
}

/** A field's value as JSON data: errors serialised, the rest through JSON (functions dropped). */
function toData(value: unknown, depth: number): unknown {
  if (value instanceof Error) return serializeError(value, depth);
  try {
    const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? serializeError(v, depth + 1) : v));
    return text === undefined ? null : JSON.parse(text);
  } catch {
    return describe(value);
  }
}

function isSerializedError(value: unknown): value is SerializedError {
  const v = value as Partial<SerializedError> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.name === "string" &&
    typeof v.code === "string" &&
    typeof v.message === "string"
  );
}

/**
 * Rebuild an error from `serializeError`'s description: a WorkflowError of the class its
 * code names (a plain `Error` for anything else), with the same message, fields and
 * cause chain. Nothing runs: the class's constructor is not called.
 *
 * @example
 * const error = deserializeError(JSON.parse(row.error));
 * if (error instanceof StepTimeoutError) console.log(error.step, error.timeoutMs);
 */
export function deserializeError(data: SerializedError | string): Error | string {
  if (typeof data === "string") return data;
  if (!isSerializedError(data)) return new Error(describe(data));
  const Class = classOfCode(data.code);
  const cause = data.cause === undefined ? undefined : deserializeError(data.cause);
  if (Class === undefined && data.code === "ERROR") {
    const error = new Error(data.message, cause === undefined ? undefined : { cause });
    error.name = data.name;
    return error;
  }
  const error = Object.create((Class ?? WorkflowError).prototype) as Record<string, unknown>;
  const hidden = (key: string, value: unknown) =>
    Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable: false });
  hidden("message", data.message);
  hidden("stack", `${data.name}: ${data.message}\n    (rebuilt from its serialised form)`);
  if (cause !== undefined) hidden("cause", cause);
  error.name = data.name;
  error.code = data.code;
  error.retryable = data.retryable === true;
  error.step = data.step;
  for (const [key, value] of Object.entries(data.details ?? {})) error[key] = fromData(value);
  return error as unknown as WorkflowError;
}

function fromData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromData);
  if (isSerializedError(value)) return deserializeError(value);
  return value;
}
