import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseStack, StackConfigError, type ParseOptions } from "../../components/config/config";
import { loadStack } from "../../components/stack-config";
import { PROJECT, valueOf } from "../helpers/pulumi-mocks";
import { BOT, fakePublicKey } from "../helpers/stack-fixtures";

// The stack config's side of timeweb.createServer: which of host / hostKey / timeweb:token are
// required, the default SSH key of the new server, and the loader's secret token.

const OPERATOR_KEY = fakePublicKey("operator@laptop");
const OTHER_KEY = fakePublicKey("deploy@ci");
const HOST_KEY = fakePublicKey("vps").split(" ").slice(0, 2).join(" ");
const BOT_TOKEN = "123456789:FAKE-test-token-abcdefghijklmnopqrs";
const API_HASH = "fakeapihash0123456789abcdef0123";

/** A complete config (secrets included) that creates its server. */
function createServerConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        operatorKeys: [OPERATOR_KEY],
        botApi: { apiId: 1234567, apiHash: API_HASH },
        bots: [{ name: BOT, schema: "mpcabinet", token: BOT_TOKEN }],
        timeweb: { createServer: true },
        ...overrides,
    };
}

const UP: ParseOptions = { requireSecrets: true, requireHostKey: true, hasTimewebToken: true };

function problems(raw: unknown, options: ParseOptions = UP): string[] {
    try {
        parseStack(raw, options);
    } catch (error) {
        if (error instanceof StackConfigError) return [...error.problems];
        throw error;
    }
    return [];
}

describe("stack config with timeweb.createServer", () => {
    it("needs neither host nor hostKey for `pulumi up`", () => {
        expect(problems(createServerConfig())).toEqual([]);
        expect(parseStack(createServerConfig(), UP).config.host).toBeUndefined();
    });

    it("still needs host (and hostKey for `pulumi up`) when createServer is off", () => {
        const raw = createServerConfig({ timeweb: { createServer: false } });
        expect(problems(raw)).toEqual([
            "host: required: pulumi config set host <VPS IPv4>",
            "hostKey: required for `pulumi up` (it pins the server's identity): npm run trust-host -- <host>",
        ]);
    });

    it("gives the new server the first operator key unless timeweb.sshPublicKey is set", () => {
        const twoKeys = createServerConfig({ operatorKeys: [OPERATOR_KEY, OTHER_KEY] });
        const defaulted = parseStack(twoKeys, UP);
        expect(defaulted.config.timeweb?.sshPublicKey).toBe(OPERATOR_KEY);
        const explicit = parseStack(
            createServerConfig({ timeweb: { createServer: true, sshPublicKey: OTHER_KEY } }),
            UP,
        );
        expect(explicit.config.timeweb?.sshPublicKey).toBe(OTHER_KEY);
        const off = parseStack(
            createServerConfig({ host: "203.0.113.10", timeweb: { createServer: false } }),
            {},
        );
        expect(off.config.timeweb?.sshPublicKey).toBeUndefined();
    });

    it("asks for timeweb.sshPublicKey when there is no operator key either", () => {
        expect(problems(createServerConfig({ operatorKeys: [] }))).toEqual([
            'timeweb.sshPublicKey: is required when timeweb.createServer is true: pulumi config set --path timeweb.sshPublicKey "$(cat ~/.ssh/id_ed25519.pub)"',
        ]);
    });

    it("rejects host and hostKey next to createServer, each with the fix", () => {
        expect(problems(createServerConfig({ host: "203.0.113.10", hostKey: HOST_KEY }))).toEqual([
            "host: must not be set when timeweb.createServer is true (the program connects to the server it creates): pulumi config rm host",
            "hostKey: must not be set when timeweb.createServer is true (the created server's key is pinned on first connect): pulumi config rm hostKey",
        ]);
    });

    it("lists a missing timeweb:token with the other problems, and only for createServer", () => {
        const noToken = { ...UP, hasTimewebToken: false };
        expect(problems(createServerConfig({ swapSize: "2GB" }), noToken)).toEqual([
            "swapSize: must be a size like 2G or 512M, or 0 for no swap: pulumi config set swapSize 2G",
            "timeweb:token: required (secret) when timeweb.createServer is true: pulumi config set --secret timeweb:token <API token from the Timeweb panel>",
        ]);
        const off = createServerConfig({
            host: "203.0.113.10",
            hostKey: HOST_KEY,
            timeweb: { createServer: false },
        });
        expect(problems(off, noToken)).toEqual([]);
    });
});

describe("loadStack with timeweb.createServer", () => {
    async function load(config: Record<string, unknown>, token?: string) {
        const all: Record<string, string> = Object.fromEntries(
            Object.entries(config).map(([key, value]) => [
                `${PROJECT}:${key}`,
                typeof value === "string" ? value : JSON.stringify(value),
            ]),
        );
        if (token !== undefined) all["timeweb:token"] = token;
        pulumi.runtime.setAllConfig(all, [`${PROJECT}:botApi`, `${PROJECT}:bots`, "timeweb:token"]);
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => ({
                    id: `${args.name}-id`,
                    state: args.inputs as Record<string, unknown>,
                }),
                call: (args) => args.inputs as Record<string, unknown>,
            },
            PROJECT,
            "test",
            false,
        );
        return loadStack();
    }

    it("reads timeweb:token as a secret", async () => {
        const { secrets } = await load(createServerConfig(), "obviously-fake-timeweb-token");
        const token = secrets.timewebToken;
        expect(token).toBeDefined();
        expect(await pulumi.isSecret(token!)).toBe(true);
        expect(await valueOf(token!)).toBe("obviously-fake-timeweb-token");
    });

    it("fails naming timeweb:token when it is not set", async () => {
        await expect(load(createServerConfig())).rejects.toThrow(
            /timeweb:token: required \(secret\) when timeweb\.createServer is true/,
        );
    });

    it("does not read the token when createServer is off", async () => {
        const config = createServerConfig({
            host: "203.0.113.10",
            hostKey: HOST_KEY,
            timeweb: { createServer: false },
        });
        const { secrets } = await load(config, "obviously-fake-timeweb-token");
        expect(secrets.timewebToken).toBeUndefined();
    });
});

describe("Pulumi.yaml and Pulumi.prod.yaml", () => {
    const read = (file: string) =>
        parse(readFileSync(path.join(__dirname, "../..", file), "utf8")) as {
            config: Record<string, Record<string, unknown>>;
        };

    it("declares no key without a default that a createServer stack may leave unset", () => {
        // Pulumi refuses to run a stack that lacks a key declared without a default.
        const required = Object.entries(read("Pulumi.yaml").config)
            .filter(([, declaration]) => !("default" in declaration))
            .map(([key]) => key);
        for (const key of required) {
            const { [key]: _dropped, ...rest } = createServerConfig();
            expect(problems(rest).join("\n"), key).toContain(`${key}:`);
        }
    });

    it("keeps createServer off in the prod stack, which configures its host", () => {
        const prod = read("Pulumi.prod.yaml").config;
        expect(prod[`${PROJECT}:host`]).toBeDefined();
        const timeweb = prod[`${PROJECT}:timeweb`] as { createServer?: boolean } | undefined;
        expect(timeweb?.createServer ?? false).toBe(false);
    });
});
