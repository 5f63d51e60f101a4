/**
 * Partial compensation: a `compensate` that decides, by business logic, to leave its
 * step's effect in place returns `keep(reason)`. The step is then `kept`, listed in
 * `result.compensation.kept` with the reason, apart from the steps that were undone.
 */

/**
 * What a `compensate` returns to keep its step's effect.
 *
 * @example
 * const kept: KeptEffect = keep("the invoice was already sent");
 * kept.kept; // "the invoice was already sent"
 */
export interface KeptEffect {
  /** Why the effect stays. */
  readonly kept: string;
}

/**
 * Keep the step's effect instead of undoing it.
 *
 * @example
 * compensate: async ({ output }) => {
 *   if (await invoices.wasSent(output.invoiceId)) return keep("the invoice was already sent to the customer");
 *   await invoices.void(output.invoiceId);
 * },
 */
export function keep(reason: string): KeptEffect {
  return Object.freeze({ kept: String(reason) });
}

/** The reason of a `keep(…)` value (also one made by another copy of this library), else undefined. */
export function keptReason(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, "kept")) return undefined;
  const reason = (value as { kept: unknown }).kept;
  return typeof reason === "string" ? reason : undefined;
}
