import { defineConfig } from "vitest/config";

// Unit tests run in parallel; integration tests share one private Postgres cluster started by the
// global setup (or TEST_DATABASE_URL) and each gets its own database.
export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        globalSetup: ["test/helpers/global-setup.ts"],
        testTimeout: 30_000,
        hookTimeout: 60_000,
        pool: "forks",
    },
});
