import { ChildProcessWithoutNullStreams, execFile, execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

/*
 * What the real-engine test of the Timeweb component (test/e2e/engine-timeweb.test.ts) and its
 * bench row share: the lab (timeweb-lab.ts) in a network namespace of its own, copies of the
 * project, and `pulumi` run inside that namespace with a file backend. Needs root (unshare).
 */

export interface Run {
    readonly code: number;
    readonly output: string;
}

/** The lab process: one JSON line per command (see timeweb-lab.ts). */
export class Lab {
    private readonly answers: AsyncIterator<string>;

    private constructor(private readonly child: ChildProcessWithoutNullStreams) {
        this.answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    }

    /** Starts the lab in a new network namespace; the namespace goes when the lab exits. */
    static async start(
        repoDir: string,
        log: (line: string) => void,
    ): Promise<{ lab: Lab; hostKey: string; hostKeyFile: string }> {
        // The fake's floating IPs (192.0.2.0/24) are local addresses in the namespace.
        const routes = "ip link set lo up && ip route add local 192.0.2.0/24 dev lo";
        const lab = new Lab(
            spawn(
                "unshare",
                [
                    "--net",
                    "--",
                    "bash",
                    "-c",
                    `${routes} && exec node_modules/.bin/tsx test/engine/timeweb-lab.ts`,
                ],
                { cwd: repoDir, stdio: ["pipe", "pipe", "pipe"] },
            ),
        );
        lab.child.stderr.on("data", (chunk: Buffer) => log(`lab: ${chunk.toString().trim()}`));
        const ready = (await lab.next()) as { hostKey: string; hostKeyFile: string };
        return { lab, ...ready };
    }

    get pid(): number {
        return this.child.pid!;
    }

    private async next(): Promise<unknown> {
        const line = await this.answers.next();
        if (line.done === true) throw new Error(`the lab exited (code ${this.child.exitCode})`);
        return JSON.parse(line.value);
    }

    async ask<T>(command: "api-up" | "rotate-token" | "state"): Promise<T> {
        this.child.stdin.write(`${command}\n`);
        return (await this.next()) as T;
    }

    /** Closing stdin ends the lab (sshd and API stop, the namespace goes); SIGKILL if it hangs. */
    async stop(): Promise<void> {
        if (this.child.exitCode !== null || this.child.signalCode !== null) return;
        const exited = new Promise((done) => this.child.once("exit", done));
        this.child.stdin.end();
        const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
    }

    /** Runs a command line in `cwd` inside the lab's network namespace; never throws. */
    run(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
        return new Promise((done) => {
            execFile(
                "nsenter",
                [`--net=/proc/${this.pid}/ns/net`, "--", "bash", "-c", command],
                { cwd, env, maxBuffer: 64 * 1024 * 1024 },
                (error, stdout, stderr) => {
                    const code =
                        error === null ? 0 : typeof error.code === "number" ? error.code : -1;
                    done({ code, output: `${stdout}${stderr}` });
                },
            );
        });
    }
}

/**
 * A copy of what the project needs (components, its own directory, tsconfig, node_modules) under
 * `dest`; returns the project directory.
 */
export function copyProject(repoDir: string, dest: string): string {
    mkdirSync(join(dest, "test", "engine"), { recursive: true });
    cpSync(join(repoDir, "components"), join(dest, "components"), { recursive: true });
    cpSync(
        join(repoDir, "test/engine/timeweb-project"),
        join(dest, "test/engine/timeweb-project"),
        {
            recursive: true,
        },
    );
    for (const file of ["tsconfig.json", "package.json"]) {
        cpSync(join(repoDir, file), join(dest, file));
    }
    // A real directory, not a symlink (Node would resolve that back into the checkout): hard
    // links where the file system allows, a copy otherwise.
    const modules = [join(repoDir, "node_modules"), join(dest, "node_modules")] as const;
    try {
        execFileSync("cp", ["-al", ...modules], { stdio: "ignore" });
    } catch {
        rmSync(modules[1], { recursive: true, force: true });
        execFileSync("cp", ["-a", ...modules]);
    }
    return join(dest, "test/engine/timeweb-project");
}

/**
 * The environment of every `pulumi` command: the toolchain first on PATH, a file backend and
 * PULUMI_HOME under `root`, a passphrase; no ssh-agent, no SSH key, no cloud credentials.
 */
export function engineEnv(root: string, binDir: string, passphrase: string): NodeJS.ProcessEnv {
    const home = join(root, "home");
    mkdirSync(join(root, "state"), { recursive: true });
    mkdirSync(home, { recursive: true });
    return {
        PATH: `${binDir}:${process.env.PATH ?? ""}`,
        HOME: home,
        PULUMI_HOME: join(home, ".pulumi"),
        PULUMI_BACKEND_URL: `file://${join(root, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        // `--event-log` is only offered with debug commands on (pkg/cmd/pulumi/operations).
        PULUMI_DEBUG_COMMANDS: "true",
        NO_COLOR: "1",
    };
}

/** The README's commands for a stack whose server Pulumi creates, aimed at the lab's API. */
export function stackSetup(stack: string, apiPort: number, token: string, sshPublicKey: string) {
    return [
        `pulumi stack init ${stack}`,
        `pulumi config set apiEndpoint http://127.0.0.1:${apiPort}`,
        `pulumi config set --secret timeweb:token ${token}`,
        "pulumi config set --path timeweb.createServer true",
        `pulumi config set --path timeweb.sshPublicKey "${sshPublicKey}"`,
        "pulumi config set --path 'timeweb.firewall.allowSshFrom[0]' 203.0.113.7/32",
    ];
}
