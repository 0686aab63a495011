import { defineConfig } from "vitest/config";

// End-to-end tests against test VPSes (systemd-nspawn). Needs root. Every file boots its own VPS
// (own network namespace, subnet and rootfs copy), so files run in parallel: most of their time
// is waiting (boots, healthchecks, scans): one CI run took 724 s of wall time for 2231 s of
// test time summed over the files.
export default defineConfig({
    test: {
        include: ["test/e2e/**/*.test.ts"],
        fileParallelism: true,
        maxWorkers: 4,
        testTimeout: 600_000,
        hookTimeout: 900_000,
    },
});
