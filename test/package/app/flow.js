// A workflow module for the installed `rubberduck` command.
import { workflow } from "@rubberduck/workflows";

export const hello = workflow("hello").step("greet", { outputs: ["greeting"], run: () => ({ greeting: "hi" }) });
