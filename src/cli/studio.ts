/**
 * `rubberduck studio` and `rubberduck run --studio`: the studio entry, loaded only when
 * asked for (its server and page packages are optional peers).
 */

import type { Engine } from "../index.js";
import type { Studio } from "../studio/index.js";
import { CliError } from "./cli-error.js";

export interface StudioFlags {
  port?: number;
  host?: string;
  token?: string;
}

export async function openStudio(engine: Engine, flags: StudioFlags): Promise<Studio> {
  let entry: typeof import("../studio/index.js");
  try {
    entry = await import("../studio/index.js");
  } catch (error) {
    throw new CliError(
      `The studio needs its server and page packages: ${(error as Error).message}`,
      "npm install hono @hono/node-server preact htm",
    );
  }
  try {
    return await entry.startStudio({ engine, port: flags.port, host: flags.host, token: flags.token });
  } catch (error) {
    if (error instanceof entry.StudioOptionsError)
      throw new CliError(error.message, "Or leave out --host: loopback needs no token.");
    if ((error as { code?: string }).code === "EADDRINUSE") {
      throw new CliError(`Port ${flags.port ?? 4280} is taken.`, "Pick another with --port, or 0 for any free one.");
    }
    throw error;
  }
}
