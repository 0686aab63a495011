import { spawnSync } from "node:child_process";
import {
    copyFileSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStack } from "../../components/config/config";
import { readRawConfig } from "../../components/stack-config";
import { cliSandbox, pulumiBinDir, type CliSandbox } from "../helpers/pulumi-cli";
import { generateKey } from "../helpers/ssh-keygen";

// The pull-request preview's stack (scripts/ci/preview-stack.ts), with the real Pulumi CLI: a
// production Pulumi.prod.yaml made with the README's commands and the production passphrase, then
// what the preview job has (that file as committed, a local file backend, a passphrase that is
// not production's): it can decrypt none of the production secrets and previews placeholders.

const repo = resolve(__dirname, "../..");
const SECRETS = {
    token: "987654321:PRODUCTION-token-must-stay-secret-abc",
    apiHash: "ProductionApiHashMustStaySecret1",
    s3Key: "PRODUCTIONS3ACCESSKEY",
    s3Secret: "production-s3-secret-must-stay-secret",
    timeweb: "production-timeweb-token-must-stay-secret",
};
const PREVIEW_ENV = {
    PULUMI_CONFIG_PASSPHRASE: "placeholders-only-not-the-production-passphrase",
};

let production: CliSandbox;
let checkout: string;
let previewState: string;
let scratch: string;
let privateKey: string;

function previewShell(command: string) {
    const result = spawnSync("bash", ["-c", command], {
        cwd: checkout,
        env: {
            PATH: `${pulumiBinDir()}:${process.env.PATH ?? ""}`,
            HOME: scratch,
            PULUMI_HOME: join(scratch, ".pulumi"),
            PULUMI_BACKEND_URL: `file://${previewState}`,
            PULUMI_SKIP_UPDATE_CHECK: "1",
            PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
            ...PREVIEW_ENV,
        },
        encoding: "utf8",
    });
    return { code: result.status, out: result.stdout + result.stderr, stdout: result.stdout };
}

/** Every file under `dir`, as text (the state backend and the checkout). */
function allText(dir: string): string {
    return readdirSync(dir, { recursive: true, encoding: "utf8" })
        .map((name) => join(dir, name))
        .filter((path) => statSync(path).isFile())
        .map((path) => readFileSync(path, "latin1"))
        .join("\n");
}

beforeAll(() => {
    production = cliSandbox("the production passphrase");
    scratch = mkdtempSync(join(tmpdir(), "preview-job-"));
    privateKey = generateKey(scratch, "deploy_key", { type: "ed25519" }).privateKey;
    const set = (command: string, input?: string) => {
        const result = production.exec(`pulumi ${command}`, input);
        expect(result.code, `${command}: ${result.stderr}`).toBe(0);
    };
    set("stack select --create prod");
    set("config set host 203.0.113.10");
    set(`config set --path 'operatorKeys[0]' "$(cat ${join(scratch, "deploy_key.pub")})"`);
    set("config set --path botApi.apiId 1234567");
    set("config set --path 'bots[0].name' mpcabinet-picture-bot");
    set("config set --path 'bots[0].schema' mpcabinet");
    set(`config set --secret --path botApi.apiHash ${SECRETS.apiHash}`);
    set(`config set --secret --path 'bots[0].token' ${SECRETS.token}`);
    set("config set --secret sshPrivateKey", privateKey);
    set("config set --path backups.s3.endpoint https://s3.example.org");
    set("config set --path backups.s3.bucket backups");
    set(`config set --secret --path backups.s3.accessKeyId ${SECRETS.s3Key}`);
    set(`config set --secret --path backups.s3.secretAccessKey ${SECRETS.s3Secret}`);
    set(`config set --secret timeweb:token ${SECRETS.timeweb}`);
    // The pull request's checkout: the committed files, nothing else.
    checkout = join(scratch, "checkout");
    previewState = join(scratch, "preview-state");
    mkdirSync(checkout);
    mkdirSync(previewState);
    for (const file of ["Pulumi.yaml", "Pulumi.prod.yaml"])
        copyFileSync(join(production.projectDir, file), join(checkout, file));
}, 300_000);

afterAll(() => {
    production?.remove();
    rmSync(scratch, { recursive: true, force: true });
});

describe("the preview job's inputs", () => {
    it("cannot decrypt the production stack's secrets", () => {
        const committed = readFileSync(join(checkout, "Pulumi.prod.yaml"), "utf8");
        expect(committed).toMatch(/^encryptionsalt: /m);
        const opened = previewShell("pulumi stack init prod");
        expect(opened.code).not.toBe(0);
        expect(opened.out).toContain("incorrect passphrase");
        rmSync(previewState, { recursive: true, force: true });
        mkdirSync(previewState);
    });

    it("build a placeholder stack that holds no production secret, not even encrypted", () => {
        const ciphertexts = [
            ...readFileSync(join(checkout, "Pulumi.prod.yaml"), "utf8").matchAll(
                /secure: (v1:\S+)/g,
            ),
        ].map((m) => m[1] as string);
        expect(ciphertexts.length).toBe(6);
        const prepared = previewShell(
            `${join(repo, "node_modules/.bin/tsx")} ${join(repo, "scripts/ci/preview-stack.ts")} prod`,
        );
        expect(prepared.out).toContain(
            "Preview stack prod on file://" +
                previewState +
                ": 5 secret(s) replaced by placeholders (telegram-ecosystem:botApi.apiHash, telegram-ecosystem:bots[0].token, telegram-ecosystem:backups.s3.accessKeyId, telegram-ecosystem:backups.s3.secretAccessKey, timeweb:token), 1 dropped.",
        );
        expect(prepared.code).toBe(0);
        const everything = allText(checkout) + allText(previewState);
        for (const value of [
            ...Object.values(SECRETS),
            privateKey.split("\n")[1] as string,
            ...ciphertexts,
        ]) {
            expect(everything).not.toContain(value);
        }
        const shown = previewShell("pulumi config --json --show-secrets --stack prod");
        expect(shown.code, shown.out).toBe(0);
        const values = Object.fromEntries(
            Object.entries(JSON.parse(shown.stdout) as Record<string, { value: string }>).map(
                ([key, entry]) => [key, entry.value],
            ),
        );
        expect(JSON.parse(values["telegram-ecosystem:bots"] as string)).toEqual([
            {
                name: "mpcabinet-picture-bot",
                schema: "mpcabinet",
                buildContext: "bot",
                token: "123456789:PREVIEW-placeholder-not-a-token",
            },
        ]);
        expect(values["telegram-ecosystem:sshPrivateKey"]).toBeUndefined();
        // The program's config check accepts the placeholders, so the preview runs.
        const { secrets } = parseStack(readRawConfig(values, "telegram-ecosystem"), {
            requireSecrets: true,
            hasTimewebToken: true,
        });
        expect(secrets.botApiHash).toBe("PreviewPlaceholderNotAnApiHash00");
        expect(secrets.offsiteKeys).toEqual({
            accessKeyId: "PREVIEW-PLACEHOLDER",
            secretAccessKey: "PREVIEW-PLACEHOLDER",
        });
    });

    it("refuse to touch anything but a local file backend", () => {
        const result = spawnSync(
            join(repo, "node_modules/.bin/tsx"),
            [join(repo, "scripts/ci/preview-stack.ts"), "prod"],
            {
                cwd: checkout,
                env: {
                    PATH: process.env.PATH,
                    PULUMI_BACKEND_URL: "s3://state-bucket",
                    ...PREVIEW_ENV,
                },
                encoding: "utf8",
            },
        );
        expect(result.status).toBe(1);
        expect(result.stderr).toContain("PULUMI_BACKEND_URL must be a local file:// backend");
    });
});
