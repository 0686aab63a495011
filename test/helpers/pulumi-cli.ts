import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const repoDir = path.resolve(__dirname, "../..");

/**
 * The directory holding the real Pulumi CLI of .pulumi.version: the installed one if it matches,
 * otherwise the build cached by toolchain/install-pulumi.sh (which builds it when missing).
 */
export function pulumiBinDir(): string {
    const out = execFileSync("bash", [path.join(repoDir, "toolchain/install-pulumi.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
    return out.trim().split("\n").at(-1) ?? "";
}

/** A throwaway project copy with its own file backend, PULUMI_HOME and passphrase. */
export interface CliSandbox {
    readonly projectDir: string;
    readonly homeDir: string;
    readonly env: NodeJS.ProcessEnv;
    run(command: string): string;
    /** Runs a command line (stdin from `input`) and reports how it ended, also on failure. */
    exec(command: string, input?: string): { code: number | null; stdout: string; stderr: string };
    remove(): void;
}

export function cliSandbox(passphrase: string): CliSandbox {
    const root = mkdtempSync(path.join(tmpdir(), "pulumi-cli-"));
    const projectDir = path.join(root, "project");
    const homeDir = path.join(root, "home");
    const stateDir = path.join(root, "state");
    for (const dir of [projectDir, homeDir, stateDir]) mkdirSync(dir, { recursive: true });
    // Pulumi.prod.yaml as committed: the README's commands start from it.
    for (const file of ["Pulumi.yaml", "Pulumi.prod.yaml"]) {
        cpSync(path.join(repoDir, file), path.join(projectDir, file));
    }
    const env: NodeJS.ProcessEnv = {
        PATH: `${pulumiBinDir()}:${process.env.PATH ?? ""}`,
        HOME: homeDir,
        PULUMI_HOME: path.join(homeDir, ".pulumi"),
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        NO_COLOR: "1",
    };
    return {
        projectDir,
        homeDir,
        env,
        run(command: string): string {
            return execFileSync("bash", ["-c", command], {
                cwd: projectDir,
                env,
                encoding: "utf8",
                stdio: ["ignore", "pipe", "pipe"],
            });
        },
        exec(command: string, input = "") {
            const result = spawnSync("bash", ["-c", command], {
                cwd: projectDir,
                env,
                input,
                encoding: "utf8",
            });
            return { code: result.status, stdout: result.stdout, stderr: result.stderr };
        },
        remove(): void {
            rmSync(root, { recursive: true, force: true });
        },
    };
}
