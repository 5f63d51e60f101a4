/**
 * A worker thread of `threadExecutor`: imports the workflow modules once, then runs one
 * task at a time, with its `ctx.signal` aborted by a message from the engine's thread.
 */

import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { deserializeError, type SerializedError, serializeError } from "../error-codec.js";
import { failed, type StepTask, type StepTaskResult } from "./executor.js";
import { READY, StepHost } from "./step-host.js";

/** What the pool sends a worker: the task, and the port its abort arrives on. */
export interface ThreadTask {
  readonly task: StepTask;
  readonly port: MessagePort;
}

const { modules, name } = workerData as { modules: string[]; name: string };
// Imported when the worker starts: a module that fails to load fails every task with why.
const host = StepHost.load(modules, name);
// Tell the pool (its `ready()`) once the modules are in, or why they are not.
host.then(
  () => parentPort?.postMessage({ [READY]: true }),
  (error: unknown) => parentPort?.postMessage({ [READY]: false, error: serializeError(error) }),
);

export default async function runTask({ task, port }: ThreadTask): Promise<StepTaskResult> {
  const controller = new AbortController();
  // An abort sent while the task waited in the pool's queue is already there.
  const early = receiveMessageOnPort(port);
  if (early !== undefined) controller.abort(deserializeError(early.message as SerializedError));
  port.on("message", (reason: SerializedError) => controller.abort(deserializeError(reason)));
  try {
    return { ok: true, output: await (await host).run(task, controller.signal) };
  } catch (error) {
    return failed(error);
  } finally {
    port.close();
  }
}
