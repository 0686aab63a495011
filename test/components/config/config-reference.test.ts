import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackConfig, stackSchema } from "../../../components/config/config";
import {
    configKeys,
    configReferenceTable,
    REFERENCE_END,
    REFERENCE_START,
    withConfigReference,
} from "../../../components/config/config-reference";
import { fixFor, nodeAt, setCommand } from "../../../components/config/field-docs";
import { rawConfig } from "../../helpers/stack-fixtures";

const README = path.join(__dirname, "../../../README.md");

/** The value at a documented key (`bots[N].env.<name>` -> bots[0].env) in a parsed config. */
function valueAt(config: unknown, key: string): unknown {
    const parts = key
        .replace(/\[N\]$|\.<name>$/, "")
        .replace(/\[N\]/g, ".0")
        .split(".");
    return parts.reduce<unknown>(
        (value, part) => (value as Record<string, unknown> | undefined)?.[part],
        config,
    );
}

describe("the config reference", () => {
    it("in the README is the one the schemas generate (npm run docs:config)", () => {
        const readme = readFileSync(README, "utf8");
        const start = readme.indexOf(REFERENCE_START) + REFERENCE_START.length;
        const section = readme.slice(start, readme.indexOf(REFERENCE_END)).trim();
        expect(section).toBe(configReferenceTable());
        expect(withConfigReference(readme)).toBe(readme);
    });

    it("describes every key", () => {
        const keys = configKeys();
        expect(keys.length).toBeGreaterThan(40);
        for (const entry of keys) expect(entry.description, entry.key).not.toBe("");
        expect(new Set(keys.map((entry) => entry.key)).size).toBe(keys.length);
    });

    it("documents the defaults a parsed config really gets, nested ones included", () => {
        const config = parseStackConfig(
            rawConfig({
                timeweb: { configuration: { cpu: 1, ramMb: 2048, diskMb: 20480 } },
                backups: { s3: { endpoint: "https://s3.example.test", bucket: "bucket-1" } },
                monitor: { alerts: { chatId: 1 } },
            }),
        );
        const defaulted = configKeys().filter((entry) => entry.defaultValue !== undefined);
        expect(defaulted.length).toBeGreaterThan(30);
        for (const entry of defaulted) {
            expect(valueAt(config, entry.key), entry.key).toEqual(entry.defaultValue?.value);
        }
    });

    it("marks the secret keys, and only them", () => {
        const secret = configKeys()
            .filter((entry) => entry.secret)
            .map((entry) => entry.key);
        expect(secret).toEqual([
            "sshPrivateKey",
            "sshPrivateKeyPassword",
            "botApi.apiHash",
            "backups.s3.accessKeyId",
            "backups.s3.secretAccessKey",
            "monitor.heartbeatUrl",
            "bots[N].token",
        ]);
    });
});

describe("the fix command of a key", () => {
    const schema = stackSchema(true);

    it("is `pulumi config set`, with --path for nested keys and --secret for secret ones", () => {
        expect(setCommand("sshPort", "22")).toBe("pulumi config set sshPort 22");
        expect(setCommand("docker.source", "distro")).toBe(
            "pulumi config set --path docker.source distro",
        );
        expect(setCommand("bots[1].token", "<token>", true)).toBe(
            "pulumi config set --secret --path 'bots[1].token' <token>",
        );
    });

    it("uses the key's example, else its default, at the index that failed", () => {
        expect(fixFor(schema, ["bots", 2, "name"])).toBe(
            "pulumi config set --path 'bots[2].name' mpcabinet-picture-bot",
        );
        expect(fixFor(schema, ["docker", "logMaxFiles"])).toBe(
            "pulumi config set --path docker.logMaxFiles 3",
        );
        expect(fixFor(schema, ["backups", "s3", "secretAccessKey"])).toBe(
            "pulumi config set --secret --path backups.s3.secretAccessKey <secret access key>",
        );
        expect(fixFor(schema, ["hostKey"])).toBe("npm run trust-host -- <host>");
    });

    it("fixes a block or list through its first required field", () => {
        expect(fixFor(schema, ["botApi"])).toBe("pulumi config set --path botApi.apiId <api_id>");
        expect(fixFor(schema, ["bots"])).toBe(
            "pulumi config set --path 'bots[0].name' mpcabinet-picture-bot",
        );
        expect(fixFor(schema, ["monitor", "alerts"])).toBe(
            "pulumi config set --path monitor.alerts.chatId -- -1001234567890",
        );
    });

    it("offers none for a free-form entry, whose message says what to do", () => {
        expect(fixFor(schema, ["sshd", "extraOptions", "PasswordAuthentication"])).toBeUndefined();
        expect(fixFor(schema, ["nosuchkey"])).toBeUndefined();
    });

    it("suggests values that pass the key's own check", () => {
        const checked = configKeys().filter((entry) => {
            const example = nodeAt(schema, keyPath(entry.key))?.meta.example;
            // `<api_id>`, `"$(cat ...)"` and `< file` are for the operator to fill in.
            if (example === undefined || /^[<"']/.test(String(example))) return false;
            const node = nodeAt(schema, keyPath(entry.key))!;
            // A leading `--` ends pulumi's options (a negative chat id); it is not the value.
            const value = typeof example === "string" ? example.replace(/^-- /, "") : example;
            expect(node.schema.safeParse(value).success, `${entry.key}: ${example}`).toBe(true);
            return true;
        });
        expect(checked.map((entry) => entry.key)).toContain("bots[N].name");
    });
});

/** `bots[N].env.<name>` -> ["bots", 0, "env", "<name>"] */
function keyPath(key: string): (string | number)[] {
    return key
        .replace(/\[N\]/g, ".0")
        .split(".")
        .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}
