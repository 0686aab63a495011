import { defineConfig } from "vitest/config";

// Unit and template tests: fast, no root, no network beyond loopback.
export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        exclude: ["test/e2e/**", "node_modules/**", "bot/**"],
        testTimeout: 30_000,
        setupFiles: ["test/setup/loopback-only.ts"],
    },
});
