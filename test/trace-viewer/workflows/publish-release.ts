/**
 * The run of test/fixtures/traces/compensated-run.jsonl: a succeeds, b fails once
 * (rate-limited) and succeeds on its retry, c fails for good, so b then a are
 * compensated and d never runs. Regenerate the trace with
 *
 *   node bin/rubberduck.js run test/trace-viewer/workflows/publish-release.ts \
 *     --trace-file test/fixtures/traces/compensated-run.jsonl
 */
import { NonRetryableError, workflow } from "../../../src/index.js";
import { sleep } from "./sleep.js";

export const defaultInput = { tag: "v1.2.0" };

let generated = 0;

export const publishRelease = workflow<{ tag: string }>("publish_release", {
  version: "1.2.0",
  description: "Reserve a build slot, generate the client, type-check it and publish; rolled back on failure",
})
  .step("reserve_build_slot", {
    inputs: ["tag"],
    outputs: ["slot"],
    run: async ({ tag }) => {
      await sleep(35);
      return { slot: `slot-${tag}` };
    },
    compensate: () => sleep(18),
  })
  .step("generate_client", {
    inputs: ["slot"],
    outputs: ["files"],
    retry: { maxAttempts: 3, baseDelay: 300, jitter: false },
    run: async () => {
      generated++;
      await sleep(generated === 1 ? 140 : 210);
      if (generated === 1) throw new Error("LLM provider rate-limited the request (HTTP 429 Too Many Requests)");
      return { files: ["src/gen/client.ts"] };
    },
    compensate: () => sleep(42),
  })
  .step("type_check", {
    inputs: ["files"],
    outputs: ["diagnostics"],
    run: async (): Promise<{ diagnostics: string[] }> => {
      await sleep(260);
      throw new NonRetryableError(
        `src/gen/client.ts(42,7): error TS2322: Type 'Promise<string>' is not assignable to type 'string' & "Version"`,
      );
    },
  })
  .step("publish", {
    inputs: ["diagnostics", "tag"],
    outputs: ["release_url"],
    run: ({ tag }) => ({ release_url: `https://example.com/releases/${tag}` }),
  });
