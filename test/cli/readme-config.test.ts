import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStack, StackConfigError } from "../../components/config/config";
import { readRawConfig } from "../../components/stack-config";
import { cliSandbox, type CliSandbox } from "../helpers/pulumi-cli";
import { PROJECT } from "../helpers/pulumi-mocks";

// The README's `pulumi config set|rm` commands, run verbatim with the real Pulumi CLI (built by
// toolchain/install-pulumi.sh), then read back the way the program reads them: what the
// documentation tells an operator to type must produce a stack config the program accepts.

const repoDir = path.resolve(__dirname, "../..");
const FAKE = {
    apiHash: "0123456789abcdef0123456789abcdef",
    token: "123456789:FAKE-readme-token-abcdefghijk",
    newToken: "987654321:FAKE-rotated-token-abcdefghij",
    timewebToken: "FAKE-timeweb-token-0123456789",
    s3Key: "FAKEACCESSKEY0123",
    s3Secret: "FAKE-s3-secret-0123456789abcdef",
};

/** What each documented placeholder stands for; a placeholder missing here fails the test. */
const PLACEHOLDERS: readonly [RegExp, (sandbox: CliSandbox) => string][] = [
    [/<(new )?api_hash[^>]*>/g, () => FAKE.apiHash],
    [/<(bot )?token[^>]*>/g, () => FAKE.token],
    [/<new token>/g, () => FAKE.newToken],
    [/'123456789:AA…'/g, () => `'${FAKE.newToken}'`],
    [/<current \+ 1>/g, () => "2"],
    [/\[N\]/g, () => "[0]"],
    [/<(new )?api_id[^>]*>/g, () => "7654321"],
    [/<API token[^>]*>/g, () => FAKE.timewebToken],
    [/<line>/g, (sandbox) => hostKeyLine(sandbox)],
    [/<admin chat id>/g, () => "-1001234567890"],
    [/<key>/g, () => FAKE.s3Key],
    [/<secret>/g, () => FAKE.s3Secret],
    [/<your-check-uuid>/g, () => "0b5e7d2c-1111-4222-8333-444455556666"],
    [/<previous id>/g, () => "5e".repeat(32)],
];

interface Section {
    readonly heading: string;
    readonly commands: string[];
}

/** The documentation files: the README and docs/*.md. */
function documents(): string[] {
    const docsDir = path.join(repoDir, "docs");
    const docs = existsSync(docsDir)
        ? readdirSync(docsDir)
              .filter((file) => file.endsWith(".md"))
              .map((file) => path.join(docsDir, file))
        : [];
    return [path.join(repoDir, "README.md"), ...docs];
}

/**
 * Every runnable `pulumi config set|rm` command, grouped by the heading it appears under, in
 * document order. Syntax summaries (`[--path]`) and elided examples (`…` alone) are not commands.
 */
function documentedSections(): Section[] {
    const sections: Section[] = [];
    for (const file of documents()) {
        let current: Section = { heading: path.basename(file), commands: [] };
        sections.push(current);
        let fenced = false;
        for (const line of readFileSync(file, "utf8").split("\n")) {
            if (line.trimStart().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (!fenced && /^#{1,4} /.test(line)) {
                current = { heading: line.replace(/^#+ /, ""), commands: [] };
                sections.push(current);
                continue;
            }
            const found = fenced
                ? [line.trim()]
                : [...line.matchAll(/`(pulumi config [^`]*)`/g)].map((match) => match[1] ?? "");
            for (const command of found) {
                if (!/^pulumi config (set|rm) /.test(command)) continue;
                if (command.includes("[--") || /\s…$/.test(command)) continue;
                current.commands.push(command);
            }
        }
    }
    return sections.filter((section) => section.commands.length > 0);
}

function hostKeyLine(sandbox: CliSandbox): string {
    const pub = readFileSync(path.join(sandbox.homeDir, "host_ed25519.pub"), "utf8");
    return pub.split(" ").slice(0, 2).join(" ");
}

function substitute(command: string, sandbox: CliSandbox): string {
    let result = command;
    for (const [pattern, value] of PLACEHOLDERS) result = result.replace(pattern, value(sandbox));
    return result;
}

/** The problems the program's config parser reports for the stack's current config. */
function programProblems(sandbox: CliSandbox): string[] {
    const shown = JSON.parse(sandbox.run("pulumi config --json --show-secrets")) as Record<
        string,
        { value: string }
    >;
    const all = Object.fromEntries(Object.entries(shown).map(([key, item]) => [key, item.value]));
    try {
        parseStack(readRawConfig(all, PROJECT), {
            requireSecrets: true,
            requireHostKey: false,
            hasTimewebToken: "timeweb:token" in all,
        });
        return [];
    } catch (error) {
        if (error instanceof StackConfigError) return [...error.problems];
        throw error;
    }
}

function runAll(sandbox: CliSandbox, commands: readonly string[]): string[] {
    const failures: string[] = [];
    for (const command of commands) {
        try {
            sandbox.run(substitute(command, sandbox));
        } catch (error) {
            const stderr = (error as { stderr?: string }).stderr ?? String(error);
            failures.push(`${command}\n  -> ${stderr.trim()}`);
        }
    }
    return failures;
}

const sections = documentedSections();
const base = sections.find((section) =>
    section.commands.some((command) => command.includes("'bots[0].token'")),
);
let sandbox: CliSandbox;
let baseStackFile: string;

beforeAll(() => {
    sandbox = cliSandbox("readme-test-passphrase");
    const sshDir = path.join(sandbox.homeDir, ".ssh");
    mkdirSync(sshDir, { recursive: true, mode: 0o700 });
    for (const [file, dir] of [
        ["id_ed25519", sshDir],
        ["id_ed25519_new", sshDir],
        ["telegram-ecosystem-deploy", sshDir],
        ["host_ed25519", sandbox.homeDir],
    ] as const) {
        execFileSync("ssh-keygen", [
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "readme-test",
            "-f",
            path.join(dir, file),
        ]);
    }
    sandbox.run("pulumi stack select --create prod");
}, 60_000);

afterAll(() => sandbox?.remove());

describe("the README's pulumi config commands, with the real CLI", () => {
    it("finds the first-deploy commands and only placeholders it knows", () => {
        expect(base?.heading).toMatch(/first deploy/i);
        const unknown = sections
            .flatMap((section) => section.commands)
            .map((command) => substitute(command, sandbox))
            .filter((command) => /<[^>]+>|…/.test(command.replace(/< ~\/\.ssh\/\S+/, "")));
        expect(unknown).toEqual([]);
    });

    it("first deploy: every command succeeds and the program accepts the result", () => {
        expect(runAll(sandbox, base?.commands ?? [])).toEqual([]);
        expect(programProblems(sandbox)).toEqual([]);
        baseStackFile = readFileSync(path.join(sandbox.projectDir, "Pulumi.prod.yaml"), "utf8");
    }, 120_000);

    it("keeps every secret the commands set out of Pulumi.prod.yaml", () => {
        const privateKey = readFileSync(path.join(sandbox.homeDir, ".ssh/id_ed25519"), "utf8");
        expect(baseStackFile).not.toContain(FAKE.token);
        expect(baseStackFile).not.toContain(FAKE.apiHash);
        expect(baseStackFile).not.toContain(privateKey.split("\n")[1]);
        expect(baseStackFile).toMatch(/^encryptionsalt: /m);
    });

    it.each(sections.filter((section) => section !== base).map((s) => [s.heading, s] as const))(
        "%s: the commands succeed on top of the first deploy and the program accepts the result",
        (_heading, section) => {
            writeFileSync(path.join(sandbox.projectDir, "Pulumi.prod.yaml"), baseStackFile);
            expect(runAll(sandbox, section.commands)).toEqual([]);
            expect(programProblems(sandbox)).toEqual([]);
            const stackFile = readFileSync(
                path.join(sandbox.projectDir, "Pulumi.prod.yaml"),
                "utf8",
            );
            for (const secret of Object.values(FAKE)) expect(stackFile).not.toContain(secret);
        },
        120_000,
    );

    it("stores a --path boolean as a JSON boolean, which the program reads as the env text", () => {
        writeFileSync(path.join(sandbox.projectDir, "Pulumi.prod.yaml"), baseStackFile);
        sandbox.run("pulumi config set --path 'bots[0].env.TELEGRAM_LOGOUT_FROM_CLOUD' true");
        expect(readFileSync(path.join(sandbox.projectDir, "Pulumi.prod.yaml"), "utf8")).toMatch(
            /TELEGRAM_LOGOUT_FROM_CLOUD: true$/m,
        );
        expect(programProblems(sandbox)).toEqual([]);
    }, 60_000);
});
