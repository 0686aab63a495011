import { defineConfig } from "vitest/config";

// End-to-end tests against the test VPS (systemd-nspawn). Needs root; one file at a time,
// because they share one booted host.
export default defineConfig({
    test: {
        include: ["test/e2e/**/*.test.ts"],
        fileParallelism: false,
        testTimeout: 600_000,
        hookTimeout: 900_000,
    },
});
