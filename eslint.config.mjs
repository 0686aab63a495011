// ESLint for the Pulumi program, the bot, the scripts, the bench and the tests: typescript-eslint's
// type-aware recommended rules, plus the layout's import boundaries (README, "Where things are").
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

/**
 * The pure plan and config (components/plan/, components/config/) are plain data that the tests
 * apply without Pulumi. They import no `@pulumi/*` package, and from the rest of the tree only
 * each other and components/timeweb/config.ts (the zod schema of the `timeweb` block, kept just
 * as pure below; it stays with the Timeweb code it configures): not the components and the
 * Pulumi glue at components/ top level, nor the Timeweb providers, through which Pulumi would come
 * in all the same. A relative import's reach depends on the file's depth, hence one entry per
 * depth.
 */
function pureBoundary(depth) {
    const up = "\\.\\./".repeat(depth);
    return {
        files: [`components/{plan,config}/${"*/".repeat(depth - 1)}*.ts`],
        rules: {
            "no-restricted-imports": [
                "error",
                {
                    patterns: [
                        {
                            regex: "^@pulumi/",
                            message:
                                "components/plan/ and components/config/ are plain data the tests apply without Pulumi; do the Pulumi part in a component at components/ top level",
                        },
                        {
                            regex: `^${up}(?!plan/|config/|timeweb/config$)`,
                            message:
                                "components/plan/ and components/config/ may import only each other and components/timeweb/config: the rest of components/ brings Pulumi in",
                        },
                    ],
                },
            ],
        },
    };
}

export default defineConfig(
    { ignores: ["node_modules/", "build/", "bin/", "bot/dist/", "bot/node_modules/"] },
    js.configs.recommended,
    {
        files: ["**/*.ts"],
        extends: [tseslint.configs.recommendedTypeChecked],
        languageOptions: {
            // Each file is checked with the nearest tsconfig.json: the root one, or bot/'s.
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        rules: {
            // `const { key: _omitted, ...rest } = value` is how the code drops a key.
            "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
        },
    },
    pureBoundary(1),
    pureBoundary(2),
    pureBoundary(3),
    // components/timeweb/config.ts and what it imports (the catalogue's server types, which the
    // dynamic providers share) stay Pulumi-free as well.
    {
        files: [
            "components/timeweb/config.ts",
            "components/timeweb/catalog.ts",
            "components/timeweb/api-client.ts",
        ],
        rules: {
            "no-restricted-imports": [
                "error",
                {
                    patterns: [
                        {
                            regex: "^@pulumi/|^\\.(?!/(config|catalog|api-client)$|\\./config/)",
                            message:
                                "components/config/ imports timeweb/config.ts, which imports catalog.ts and api-client.ts: keep these to zod, each other and components/config/, without Pulumi or the Timeweb providers",
                        },
                    ],
                },
            ],
        },
    },
    // The fake Timeweb API takes request bodies as arbitrary JSON and checks them field by
    // field, as the real API does; typing them would only restate those checks.
    {
        files: ["test/helpers/fake-timeweb-api.ts"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
        },
    },
    // The Local Bot API stand-in that runs inside the test VPS: plain CommonJS for node.
    {
        files: ["test/vps/images/**/*.js"],
        languageOptions: {
            sourceType: "commonjs",
            globals: Object.fromEntries(
                ["process", "console", "Buffer", "setTimeout", "URL", "URLSearchParams"].map(
                    (name) => [name, "readonly"],
                ),
            ),
        },
    },
    // The script the e2e test runs with node inside the bot image: an ES module for node.
    {
        files: ["test/e2e/fixtures/**/*.mjs"],
        languageOptions: {
            globals: Object.fromEntries(
                ["process", "console", "URL", "AbortSignal"].map((name) => [name, "readonly"]),
            ),
        },
    },
);
