// The same library from CommonJS: require() of the ESM package (Node 20.19+).
import engineModule = require("@rubberduck/workflows");

const wf = engineModule.workflow("cjs").step("hello", { outputs: ["greeting"], run: () => ({ greeting: "hi" }) });
engineModule
  .createEngine()
  .execute(wf, {})
  .then((result) => {
    if (result.status !== "succeeded" || result.output.greeting !== "hi") throw new Error(result.status);
    console.log(`cjs: ${result.status}`);
  });
