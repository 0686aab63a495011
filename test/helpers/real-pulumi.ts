import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/**
 * The real Pulumi CLI of .pulumi.version (toolchain/install-pulumi.sh: installed, cached or built
 * from its Go module) in a throwaway project: a copy of Pulumi.yaml, a file backend and a
 * passphrase, all in one temporary directory. Commands run through bash, as typed in the README.
 */

const repo = resolve(__dirname, "../..");

export function pulumiBinDir(): string {
    const result = spawnSync("bash", [join(repo, "toolchain/install-pulumi.sh")], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`toolchain/install-pulumi.sh failed: ${result.stderr}`);
    return result.stdout.trim().split("\n").at(-1) as string;
}

export interface ShellResult {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

export interface PulumiProject {
    /** The project directory (Pulumi.yaml, Pulumi.<stack>.yaml). */
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;
    /** Runs a bash command line in the project directory. */
    sh(command: string, options?: { input?: string; env?: NodeJS.ProcessEnv }): ShellResult;
    remove(): void;
}

export function pulumiProject(passphrase = "test passphrase, not a real one"): PulumiProject {
    const root = mkdtempSync(join(tmpdir(), "real-pulumi-"));
    const dir = join(root, "project");
    mkdirSync(dir);
    mkdirSync(join(root, "state"));
    mkdirSync(join(root, "home"));
    copyFileSync(join(repo, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    const env: NodeJS.ProcessEnv = {
        PATH: `${pulumiBinDir()}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        HOME: join(root, "home"),
        PULUMI_HOME: join(root, "home/.pulumi"),
        PULUMI_BACKEND_URL: `file://${join(root, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    };
    return {
        dir,
        env,
        sh(command, options = {}) {
            const result = spawnSync("bash", ["-c", command], {
                cwd: dir,
                env: { ...env, ...options.env },
                input: options.input ?? "",
                encoding: "utf8",
            });
            return { code: result.status, stdout: result.stdout, stderr: result.stderr };
        },
        remove() {
            rmSync(root, { recursive: true, force: true });
        },
    };
}
