import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Property-based suites run many executions; keep the default timeout generous
    // rather than dependent on machine speed.
    testTimeout: 30_000,
    reporters: ["default"],
  },
});
