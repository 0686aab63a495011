import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import {
    parseStack,
    parseStackConfig,
    stackSchema,
    StackConfigError,
} from "../../../components/config/config";
import { nodeAt } from "../../../components/config/field-docs";
import { readRawConfig } from "../../../components/stack-config";
import { BOT, fakePublicKey, rawConfig } from "../../helpers/stack-fixtures";

const TOKEN = "123456789:FAKE-test-token-abcdefghijklmnopqrs";

/** The problems reported for a raw config, as "key: message" lines. */
function problems(raw: unknown, options = {}): string[] {
    try {
        parseStack(raw, options);
    } catch (error) {
        if (error instanceof StackConfigError) return [...error.problems];
        throw error;
    }
    return [];
}

describe("parseStackConfig", () => {
    it("fills every default from a minimal config", () => {
        const config = parseStackConfig(rawConfig());
        expect(config).toMatchObject({
            sshPort: 22,
            sshUser: "root",
            operatorKeys: [],
            sshAllowFrom: ["any"],
            timezone: "Europe/Moscow",
            swapSize: "2G",
            stackDir: "/opt/telegram-ecosystem",
            unattendedUpgrades: { automaticReboot: true, rebootTime: "04:00" },
            docker: { source: "distro", logMaxSize: "10m", logMaxFiles: 3 },
            postgres: { db: "telegram_ecosystem", user: "telegram_admin", passwordVersion: 1 },
            bots: [{ name: BOT, schema: "mpcabinet", buildContext: "bot", env: {} }],
        });
        expect(config.postgres.image).toMatch(/^postgres:16\.\d+-alpine$/);
    });

    it("keeps secrets out of StackConfig and returns them apart", () => {
        const raw = rawConfig({
            botApi: { apiId: 1, apiHash: "abcdef0123456789abcdef" },
            bots: [{ name: BOT, schema: "mpcabinet", token: TOKEN }],
        });
        const { config, secrets } = parseStack(raw, { requireSecrets: true });
        expect(JSON.stringify(config)).not.toContain(TOKEN);
        expect(JSON.stringify(config)).not.toContain("abcdef0123456789abcdef");
        expect(secrets).toEqual({
            botApiHash: "abcdef0123456789abcdef",
            botTokens: { [BOT]: TOKEN },
        });
    });

    it("lists every bad key at once, each with its fix, in one error", () => {
        const raw = { hots: "x", sshPort: 70000, bots: [], botApi: {}, docker: { source: "snap" } };
        let message = "";
        try {
            parseStack(raw, { requireSecrets: true, requireHostKey: true });
        } catch (error) {
            message = (error as Error).message;
        }
        expect(message).toBe(
            [
                "Invalid stack configuration (8 problems):",
                "  - host: required: pulumi config set host <VPS IPv4>",
                "  - sshPort: must be 1-65535: pulumi config set sshPort 22",
                "  - docker.source: must be distro (the distribution's packages) or docker-ce (Docker's apt repository): pulumi config set --path docker.source distro",
                "  - botApi.apiId: required: pulumi config set --path botApi.apiId <api_id>",
                "  - botApi.apiHash: required (secret): pulumi config set --secret --path botApi.apiHash <api_hash>",
                "  - bots: needs at least one bot: pulumi config set --path 'bots[0].name' mpcabinet-picture-bot",
                "  - (config): unknown key(s) hots: check the spelling or remove it: pulumi config rm hots",
                "  - hostKey: required for `pulumi up` (it pins the server's identity): npm run trust-host -- <host>",
                "Fix the keys above (pulumi config set ...) and run the command again.",
            ].join("\n"),
        );
    });

    it.each([
        [
            { bots: [{ name: "Bad_Name", schema: "mpcabinet" }] },
            "bots[0].name: must be kebab-case (a-z, 0-9, -; 2-42 chars): pulumi config set --path 'bots[0].name' mpcabinet-picture-bot",
        ],
        [
            { bots: [{ name: BOT, schema: "Mp-Cabinet" }] },
            "bots[0].schema: must be a lower-case SQL identifier: pulumi config set --path 'bots[0].schema' mpcabinet",
        ],
        [
            {
                bots: [
                    { name: BOT, schema: "a" },
                    { name: BOT, schema: "b" },
                ],
            },
            "bots[1].name: must be unique and not postgres or telegram-bot-api: choose another bot name",
        ],
        [
            { bots: [{ name: BOT, schema: "shared" }] },
            "bots[0].schema: must be unique and not shared or public: give every bot its own schema",
        ],
        [
            { bots: [{ name: BOT, schema: "m", env: { BOT_TOKEN: "x" } }] },
            "bots[0].env.BOT_TOKEN: is set by the stack itself; remove it from bots[N].env (BOT_TOKEN, TELEGRAM_API_BASE_URL, TELEGRAM_API_LOCAL, DATABASE_URL, DB_SCHEMA, HLS_MAX_VIDEO_SIZE_MB, HLS_TEMP_DIR)",
        ],
        [
            { bots: [{ name: BOT, schema: "m", env: { lower: "x" } }] },
            "bots[0].env.lower: env names must be UPPER_SNAKE_CASE",
        ],
        [
            { bots: [{ name: BOT, schema: "m", env: { OK: "a$b" } }] },
            "bots[0].env.OK: env values must be one line without quotes, $, ` or backslashes",
        ],
        [
            { bots: [{ name: BOT, schema: "m", token: "not-a-token" }] },
            "bots[0].token: must be a BotFather token (digits:letters): pulumi config set --secret --path 'bots[0].token' <token>",
        ],
        [
            { bots: [{ name: BOT, schema: "m", image: "telegram-ecosystem/bot:previous" }] },
            "bots[0].image: must be the id of an image kept on the host (`npm run ops -- status` lists them): pulumi config set --path 'bots[0].image' <sha256:image id>",
        ],
        [
            { sshUser: "deploy" },
            "sshUser: only root is supported (the steps install packages and write /etc): pulumi config set sshUser root",
        ],
        [
            { hostKey: "ecdsa-sha2-nistp256 AAAA" },
            'hostKey: must be the server\'s ssh-ed25519 host key as `ssh-ed25519 <base64>` (an ssh-rsa pin makes every step fail with "no common algorithm": the command provider would ask for the SHA-1 `ssh-rsa` signature, which the hardened sshd refuses; ECDSA host keys are not offered): npm run trust-host -- <host>',
        ],
        [
            { operatorKeys: ["not a key"] },
            `operatorKeys[0]: must be one OpenSSH public key line (ssh-ed25519 AAAA... comment): pulumi config set --path 'operatorKeys[0]' "$(cat ~/.ssh/id_ed25519.pub)"`,
        ],
        [
            { operatorKeys: ['ssh-ed25519 AAAA ok\ncommand="sh" ssh-ed25519 BBBB'] },
            `operatorKeys[0]: must be one OpenSSH public key line (ssh-ed25519 AAAA... comment): pulumi config set --path 'operatorKeys[0]' "$(cat ~/.ssh/id_ed25519.pub)"`,
        ],
        [
            { sshAllowFrom: [] },
            "sshAllowFrom: must not be empty (that would lock SSH out): pulumi config set --path 'sshAllowFrom[0]' any",
        ],
        [
            { sshAllowFrom: ["everyone"] },
            "sshAllowFrom[0]: must be `any`, an IP address or a CIDR like 203.0.113.0/24: pulumi config set --path 'sshAllowFrom[0]' any",
        ],
        [
            { timezone: "moscow" },
            "timezone: must be an IANA zone like Europe/Moscow: pulumi config set timezone Europe/Moscow",
        ],
        [
            { swapSize: "2GB" },
            "swapSize: must be a size like 2G or 512M, or 0 for no swap: pulumi config set swapSize 2G",
        ],
        [
            { stackDir: "opt/stack" },
            "stackDir: must be an absolute path: pulumi config set stackDir /opt/telegram-ecosystem",
        ],
        [
            { unattendedUpgrades: { rebootTime: "4am" } },
            "unattendedUpgrades.rebootTime: must be HH:MM in the server's timezone: pulumi config set --path unattendedUpgrades.rebootTime 04:00",
        ],
        [
            { docker: { logMaxFiles: 0 } },
            "docker.logMaxFiles: must be 1 to 20: pulumi config set --path docker.logMaxFiles 3",
        ],
        [
            { docker: { source: "docker-ce" } },
            "docker.aptRepository: required with docker.source docker-ce: pulumi config set --path docker.aptRepository <https URL of the Docker apt repository for this distribution>",
        ],
        [
            {
                docker: {
                    source: "docker-ce",
                    aptRepository: "http://apt.example.test/linux/ubuntu",
                },
            },
            "docker.aptRepository: must be an https URL without a trailing slash: pulumi config set --path docker.aptRepository <https URL of the Docker apt repository for this distribution>",
        ],
        [
            { docker: { aptRepository: "https://apt.example.test/linux/ubuntu" } },
            "docker.aptRepository: is only used with docker.source docker-ce: pulumi config rm --path docker.aptRepository",
        ],
        [
            { postgres: { image: "postgres:latest" } },
            "postgres.image: must be pinned to an exact tag or digest (not :latest): pulumi config set --path postgres.image postgres:16.10-alpine",
        ],
        [
            { postgres: { passwordVersion: 0 } },
            "postgres.passwordVersion: must be 1 or more: pulumi config set --path postgres.passwordVersion 1",
        ],
        [
            { botApi: { apiId: 1, image: "aiogram/telegram-bot-api" } },
            "botApi.image: must be pinned to an exact tag or digest (not :latest): pulumi config set --path botApi.image aiogram/telegram-bot-api:9.2",
        ],
        [
            { sshd: { extraOptions: { PasswordAuthentication: "yes" } } },
            "sshd.extraOptions.PasswordAuthentication: is set by the hardening itself (keys-only login, sshPort, sftp) and cannot be overridden; remove it from sshd.extraOptions",
        ],
        [
            { sshd: { extraOptions: { "Allow Users": "root" } } },
            "sshd.extraOptions.Allow Users: sshd option names are single words like AllowTcpForwarding",
        ],
        [
            { sshd: { extraOptions: { AllowUsers: "root\nPasswordAuthentication yes" } } },
            "sshd.extraOptions.AllowUsers: sshd option values must be one line without '#'",
        ],
        [
            { sshPrivateKey: "ssh-ed25519 AAAA" },
            "sshPrivateKey: must be a PEM/OpenSSH private key (or unset it to use ssh-agent): pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519",
        ],
    ])("reports %j with its documented message", (overrides, expected) => {
        expect(problems(rawConfig(overrides))).toEqual([expected]);
    });

    it("never echoes a secret value in an error", () => {
        const secret = "999:SECRET/looking";
        const text = problems(
            rawConfig({ bots: [{ name: BOT, schema: "m", token: secret }] }),
        ).join("\n");
        expect(text).toContain("bots[0].token");
        expect(text).not.toContain("SECRET");
    });

    it("reads back env and sshd values that `config set --path` stored as booleans or numbers", () => {
        const config = parseStackConfig(
            rawConfig({
                bots: [
                    {
                        name: BOT,
                        schema: "m",
                        env: { TELEGRAM_LOGOUT_FROM_CLOUD: true, WORKERS: 4 },
                    },
                ],
                sshd: { extraOptions: { ClientAliveInterval: 300, AllowTcpForwarding: false } },
            }),
        );
        expect(config.bots[0]?.env).toEqual({ TELEGRAM_LOGOUT_FROM_CLOUD: "true", WORKERS: "4" });
        expect(config.sshd.extraOptions).toEqual({
            ClientAliveInterval: "300",
            AllowTcpForwarding: "false",
        });
    });

    it("still refuses env values that are neither text, number nor boolean", () => {
        expect(
            problems(rawConfig({ bots: [{ name: BOT, schema: "m", env: { LIST: ["a"] } }] })),
        ).toEqual([
            "bots[0].env.LIST: env values must be one line without quotes, $, ` or backslashes",
        ]);
    });

    it("accepts the documented extension blocks (operations, timeweb) and a valid operator key", () => {
        const config = parseStackConfig(
            rawConfig({
                operatorKeys: [fakePublicKey()],
                backups: { time: "02:30" },
                timeweb: { createServer: false },
            }),
        );
        expect(config.backups.time).toBe("02:30");
        expect(config.operatorKeys).toHaveLength(1);
    });
});

describe("the port plan of a server created through the Timeweb API", () => {
    it("refuses sshPort other than 22: the new server listens on 22 until it is hardened", () => {
        const createServer = {
            timeweb: { createServer: true },
            host: undefined,
            operatorKeys: [fakePublicKey()],
        };
        expect(problems(rawConfig({ ...createServer, sshPort: 2222 }))).toEqual([
            `sshPort: must stay 22 while timeweb.createServer is true (a new server's sshd listens on 22 until the first deploy has hardened it): pulumi config rm sshPort; move the port later as the README's "SSH port" says`,
        ]);
        expect(problems(rawConfig({ ...createServer, sshPort: 22 }))).toEqual([]);
    });
});

describe("readRawConfig", () => {
    it("reads the project's keys, JSON-decoding structured ones and keeping strings as they are", () => {
        const raw = readRawConfig(
            {
                "telegram-ecosystem:host": "203.0.113.10",
                "telegram-ecosystem:sshPort": "2222",
                "telegram-ecosystem:timezone": "UTC",
                "telegram-ecosystem:bots": JSON.stringify([{ name: BOT, schema: "m" }]),
                "telegram-ecosystem:swapSize": "0",
                "other-project:host": "ignored",
            },
            "telegram-ecosystem",
        );
        expect(raw).toEqual({
            host: "203.0.113.10",
            sshPort: 2222,
            timezone: "UTC",
            bots: [{ name: BOT, schema: "m" }],
            swapSize: "0",
        });
    });
});

describe("Pulumi.yaml", () => {
    const DESCRIBED = ["host", "hostKey", "sshPrivateKey", "sshPrivateKeyPassword"];
    const project = parse(readFileSync(path.join(__dirname, "../../../Pulumi.yaml"), "utf8")) as {
        name: string;
        config: Record<string, { type: string; default?: unknown; description: string }>;
    };

    it("declares keys whose descriptions and defaults are the zod schema's", () => {
        expect(project.name).toBe("telegram-ecosystem");
        const defaults = parseStackConfig(rawConfig()) as unknown as Record<string, unknown>;
        const schema = stackSchema(true);
        for (const [key, declaration] of Object.entries(project.config)) {
            expect(declaration.description, key).toBe(nodeAt(schema, [key])?.meta.description);
            if ("default" in declaration) expect(declaration.default, key).toEqual(defaults[key]);
        }
    });

    it("names in its comment every schema key that it does not declare", () => {
        // The comment lists the structured keys (set with --path) and describes host, hostKey and
        // the two SSH secrets; every other key of the schema is declared under `config:`.
        const text = readFileSync(path.join(__dirname, "../../../Pulumi.yaml"), "utf8");
        const comment = text.split("\nconfig:")[0]!;
        const listed = /validated by the zod schema: ([^.]+)\./.exec(comment.replace(/\n# /g, " "));
        const structured = listed![1]!.split(/, | and /);
        const undeclared = Object.keys(stackSchema(true).shape).filter(
            (key) => !(key in project.config) && !DESCRIBED.includes(key),
        );
        expect(structured.sort()).toEqual(undeclared.sort());
        for (const key of DESCRIBED) expect(comment).toMatch(new RegExp(`#   ${key} `));
    });

    it("has a prod stack file without secret values that parses with the stack schema", () => {
        const prod = parse(
            readFileSync(path.join(__dirname, "../../../Pulumi.prod.yaml"), "utf8"),
        ) as {
            config: Record<string, unknown>;
        };
        const raw = Object.fromEntries(
            Object.entries(prod.config).map(([key, value]) => [
                key.replace("telegram-ecosystem:", ""),
                value,
            ]),
        );
        expect(() => parseStackConfig(raw)).not.toThrow();
        expect(JSON.stringify(prod)).not.toMatch(/token|apiHash|secure/);
    });
});
