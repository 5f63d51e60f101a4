/** The README's "Testing your workflows" example, as written there (imports aside). */
import { describe, expect, it } from "vitest";
import { checkInvariants, generatePaths, replay, testPaths } from "../../src/testing/index.js";
import { checkout, store } from "../fixtures/checkout.js";

// One test per path: every failure point, retry, time-out and failed compensation.
testPaths(checkout, { describe, it, maxFailures: 2 });

describe("checkout rollback", () => {
  it("refunds, then releases the stock, when the receipt cannot be sent", async () => {
    const path = generatePaths(checkout).find((p) => p.outcomes.send_receipt?.run === "fails")!;
    expect(path.description).toBe(
      "reserve_stock → charge_card → send_receipt FAILS → undo charge_card → undo reserve_stock ⇒ failed",
    );
    expect(path.expected.compensated).toEqual(["charge_card", "reserve_stock"]);

    const replayed = await replay(path); // scripted steps, simulated clock: no side effects, no waiting
    expect(checkInvariants(replayed, path)).toEqual([]);
    expect(store.charges.size).toBe(0);

    // The same path with the real step functions: their side effects are undone.
    const real = await replay(path, { callSteps: true, input: { cart: ["book", "pen"] } });
    expect(checkInvariants(real, path)).toEqual([]);
    expect(store).toEqual({ reserved: new Set(), charges: new Map(), receipts: [] });
  });
});
