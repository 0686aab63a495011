import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliSandbox, type CliSandbox } from "../helpers/pulumi-cli";

// The README's shell blocks for the first deploy, run verbatim as scripts with the real Pulumi CLI
// in a git clone of the project (readme-config.test.ts checks each `pulumi config` line on its
// own): only what needs a real server, the network or a terminal is left out, each line named.

const repoDir = path.resolve(__dirname, "../..");
const PASSPHRASE = "readme-first-deploy-passphrase";

/** Lines that cannot run here, and why. */
const NOT_HERE: readonly [RegExp, string][] = [
    [/^git clone /, "the test runs in a copy of the project already"],
    [/^npm ci\b/, "dependencies are installed in the repository"],
    [/^npm run (trust-host|preflight)\b/, "needs the server"],
    [/^ssh-add\b/, "needs the operator's ssh-agent"],
    [/^pulumi (preview|up)\b/, "needs the Node.js language host and the provider plugins"],
    [/^gh secret set\b/, "needs GitHub"],
];

/** The first ```sh block under a heading, in the README or docs/. */
function shellBlock(heading: string, index = 0): string[] {
    const files = [path.join(repoDir, "README.md")];
    const docs = path.join(repoDir, "docs");
    if (existsSync(docs)) files.push(...readdirSync(docs).map((file) => path.join(docs, file)));
    for (const file of files) {
        const lines = readFileSync(file, "utf8").split("\n");
        const at = lines.findIndex((line) => line.replace(/^#+ /, "") === heading);
        if (at === -1) continue;
        const blocks: string[][] = [];
        let current: string[] | undefined;
        for (const line of lines.slice(at + 1)) {
            if (current === undefined && /^#{1,3} /.test(line)) break;
            if (line.trim().startsWith("```")) {
                if (current === undefined) current = [];
                else {
                    blocks.push(current);
                    current = undefined;
                }
            } else if (current !== undefined) current.push(line.trim());
        }
        const block = blocks[index];
        if (block === undefined) throw new Error(`no shell block ${index} under "${heading}"`);
        return block;
    }
    throw new Error(`no heading "${heading}" in the README or docs/`);
}

let sandbox: CliSandbox;

function substitute(line: string): string {
    return line
        .replace(/<repo>/g, "https://example.invalid/telegram-ecosystem.git")
        .replace(/<passphrase>/g, PASSPHRASE)
        .replace(/<backend-url>/g, sandbox.env.PULUMI_BACKEND_URL ?? "")
        .replace(/<api_hash>/g, "0123456789abcdef0123456789abcdef")
        .replace(/<bot token>/g, "123456789:FAKE-readme-token-abcdefghijk");
}

/** Runs a block as one bash script (set -e), minus the lines that cannot run here. */
function runBlock(block: readonly string[]): { ran: string[]; skipped: string[]; output: string } {
    const ran: string[] = [];
    const skipped: string[] = [];
    for (const line of block) {
        if (line === "" || line.startsWith("#")) continue;
        if (NOT_HERE.some(([pattern]) => pattern.test(line))) skipped.push(line);
        else ran.push(substitute(line));
    }
    const output = execFileSync("bash", ["-e", "-c", ran.join("\n")], {
        cwd: sandbox.projectDir,
        env: { ...sandbox.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
    return { ran, skipped, output };
}

const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: sandbox.projectDir, env: sandbox.env, encoding: "utf8" });

beforeAll(() => {
    sandbox = cliSandbox(PASSPHRASE);
    mkdirSync(path.join(sandbox.homeDir, ".ssh"), { recursive: true, mode: 0o700 });
    execFileSync("ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-f",
        path.join(sandbox.homeDir, ".ssh/id_ed25519"),
    ]);
    // The clone: the project files, committed.
    copyFileSync(path.join(repoDir, ".gitignore"), path.join(sandbox.projectDir, ".gitignore"));
    git("init", "-q");
    git("config", "user.email", "operator@example.invalid");
    git("config", "user.name", "Operator");
    git("add", ".gitignore", "Pulumi.yaml", "Pulumi.prod.yaml");
    git("commit", "-q", "-m", "clone");
}, 60_000);

afterAll(() => sandbox?.remove());

describe("the README's first deploy, verbatim", () => {
    it("the two set-up commands need no sudo and exist", () => {
        const block = shellBlock("Fresh machine: the two commands");
        const commands = block
            .map((line) => line.replace(/(^|\s+)#.*$/, ""))
            .filter((line) => line !== "");
        expect(commands).toEqual(["npm run sandbox", "bash .ci/run"]);
        const pkg = JSON.parse(readFileSync(path.join(repoDir, "package.json"), "utf8")) as {
            scripts: Record<string, string>;
        };
        expect(pkg.scripts.sandbox).toBeDefined();
        expect(existsSync(path.join(repoDir, ".ci/run"))).toBe(true);
    });

    it("configures the stack and commits Pulumi.prod.yaml with its salt and encrypted secrets", () => {
        const { ran, skipped } = runBlock(shellBlock("First deploy to a fresh Timeweb VPS"));
        expect(skipped.map((line) => line.split(" ").slice(0, 3).join(" "))).toEqual([
            "git clone <repo>",
            "npm ci",
            "npm run trust-host",
            "ssh-add ~/.ssh/id_ed25519",
            "npm run preflight",
            "pulumi preview",
            "pulumi up",
        ]);
        expect(ran.some((line) => line.startsWith("git add Pulumi.prod.yaml && git commit"))).toBe(
            true,
        );
        expect(git("status", "--porcelain")).toBe("");
        const committed = git("show", "HEAD:Pulumi.prod.yaml");
        expect(committed).toMatch(/^encryptionsalt: v1:/m);
        expect(committed.match(/secure: v1:/g)?.length).toBe(3); // apiHash, the token, sshPrivateKey
        expect(committed).not.toContain("FAKE-readme-token");
    }, 120_000);

    it("makes the CI deploy key outside the clone, so no key can be committed", () => {
        const { skipped } = runBlock(shellBlock("CI: preview on pull requests and deploys"));
        expect(skipped).toEqual(["pulumi up"]);
        expect(existsSync(path.join(sandbox.homeDir, ".ssh/telegram-ecosystem-deploy"))).toBe(true);
        expect(git("status", "--porcelain", "--untracked-files=all")).toBe(" M Pulumi.prod.yaml\n");
        expect(
            git("check-ignore", "--no-index", "deploy_key", "id_ed25519", "key.pem")
                .split("\n")
                .filter(Boolean),
        ).toHaveLength(3);
    }, 60_000);

    it("reads postgres.passwordVersion as the README says, also before it was ever set", () => {
        const line = shellBlock("Rotate a secret").find((l) =>
            l.startsWith("pulumi config get --path postgres.passwordVersion"),
        );
        expect(line).toBeDefined();
        expect(sandbox.exec(substitute(line as string).replace(/\s+#.*$/, "")).stdout).toBe("1\n");
        sandbox.run("pulumi config set --path postgres.passwordVersion 2");
        expect(sandbox.exec(substitute(line as string).replace(/\s+#.*$/, "")).stdout).toBe("2\n");
    }, 60_000);
});
