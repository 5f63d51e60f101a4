// An app embedding a workflow machine (README: "The machines") and using the engine.
import { createEngine, keep, RunRequest, toMachine, type WorkflowEvent, workflow } from "@rubberduck/workflows";
import { mockSteps, testContext } from "@rubberduck/workflows/testing";
import { parseTrace } from "@rubberduck/workflows/trace-viewer";
import { createActor, toPromise } from "xstate";

const transfer = workflow<{ amount: number }>("transfer")
  .step("debit", {
    inputs: ["amount"],
    outputs: ["debited"],
    run: ({ amount }) => ({ debited: amount }),
    compensate: () => keep("debits are reversed by the nightly job"),
  })
  .step("credit", { inputs: ["debited"], outputs: ["credited"], run: ({ debited }) => ({ credited: debited }) });

const events: WorkflowEvent[] = [];
const actor = createActor(toMachine(transfer), {
  input: new RunRequest({ amount: 5 }, { onEvent: (e) => events.push(e) }),
});
actor.start();
const result = await toPromise(actor);
if (result.status !== "succeeded" || result.output.credited !== 5) throw new Error(`unexpected ${result.status}`);
const phase: string = actor.getSnapshot().value;

const engine = createEngine();
const failed = await engine.execute(mockSteps(transfer, { credit: { fail: "bank offline" } }), { amount: 1 });
if (failed.compensation.kept[0]?.step !== "debit") throw new Error("expected the debit kept");
if (typeof parseTrace !== "function" || testContext().attempt !== 1) throw new Error("entry points");
console.log(
  `esm: ${result.status} (${phase}), ${events.length} events; rollback kept ${failed.compensation.kept[0].step}`,
);
