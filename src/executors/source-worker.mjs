// The thread executor's worker when it runs from the TypeScript sources (the package ships
// the compiled thread-worker.js instead): tsx first, then the worker itself.
import { register } from "tsx/esm/api";

register();
const { typeScriptRegistered } = await import("./step-host.ts");
typeScriptRegistered();
const worker = await import("./thread-worker.ts");

export default worker.default;
