import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planProvisioning } from "../../components/plan/plan";
import { renderText, TEMPLATES_DIR } from "../../components/plan/render";
import { runtimeFor, stackConfig } from "../helpers/stack-fixtures";
import { holdLock, OpsSandbox } from "./helpers/sandbox";

// A deploy's `docker compose up` and the health monitor's repairs must not run at the same time:
// compose-up.sh holds the monitor's maintenance lock (which a restore holds too), so the monitor
// skips its check while a deploy recreates containers, and a deploy waits for a running check.

/** A docker for compose-up.sh alone: one running service without a health check; `up` waits for `release`. */
function installComposeDocker(dir: string): { calls: string; release: string } {
    const calls = path.join(dir, "compose-calls.log");
    const release = path.join(dir, "release-up");
    const script = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "$*" >> '${calls}'
case "$*" in
    *" config -q") ;;
    *" config --services") echo bot ;;
    # The project's containers by compose's labels (all, or the one service's).
    "ps -a -q --filter label=com.docker.compose.project=telegram-ecosystem --filter label=com.docker.compose.oneoff=False"*) echo id-bot ;;
    *" up -d"*) for _ in $(seq 600); do [[ -e '${release}' ]] && break; sleep 0.1; done ;;
    "inspect --format {{.Name}} {{.Id}} {{.State.StartedAt}} id-bot") echo "/bot id-bot 2026-01-01T00:00:00Z" ;;
    "inspect --format {{.State.Status}} id-bot") echo running ;;
    "inspect --format {{json .State.Health}} id-bot") echo null ;;
    *) echo "compose-up docker: unexpected $*" >&2; exit 64 ;;
esac
`;
    mkdirSync(path.join(dir, "compose-bin"), { recursive: true });
    writeFileSync(path.join(dir, "compose-bin", "docker"), script);
    chmodSync(path.join(dir, "compose-bin", "docker"), 0o755);
    return { calls, release };
}

describe("the deploy's compose up and the health monitor", () => {
    let sandbox: OpsSandbox;
    const started: ChildProcess[] = [];
    beforeEach(() => {
        sandbox = new OpsSandbox();
    });
    afterEach(() => {
        // Also after a failure: no compose-up (or its fake docker) outlives the test.
        for (const child of started.splice(0)) {
            if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
                process.kill(-child.pid, "SIGKILL");
        }
        sandbox.cleanup();
    });

    /** compose-up.sh as the plan renders it, with the lock moved into the sandbox. */
    function composeUp(waitSeconds: number) {
        const config = stackConfig({ stackDir: sandbox.stackDir });
        const planned = planProvisioning(config, runtimeFor(config)).find(
            (step) => step.id === "stack-up",
        );
        expect(planned?.script).toContain(
            "MAINTENANCE_LOCK='/run/lock/telegram-ecosystem/maintenance.lock'",
        );
        const text = readFileSync(path.join(TEMPLATES_DIR, "scripts/compose-up.sh"), "utf8");
        const script = renderText("compose-up.sh", text, {
            stack_dir: sandbox.stackDir,
            project: "telegram-ecosystem",
            services: "",
            remove_orphans: "yes",
            timeout_seconds: "5",
            maintenance_lock: path.join(sandbox.paths.lockDir, "maintenance.lock"),
            lock_wait_seconds: String(waitSeconds),
        });
        const docker = installComposeDocker(sandbox.root);
        const child = spawn("bash", ["-c", script], {
            env: { PATH: `${path.join(sandbox.root, "compose-bin")}:/usr/bin:/bin` },
            stdio: ["ignore", "pipe", "pipe"],
            detached: true, // its own process group, killed whole in afterEach
        });
        started.push(child);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const done = new Promise<{ code: number | null; stdout: string; stderr: string }>(
            (resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })),
        );
        const upStarted = async () => {
            for (let i = 0; i < 200; i++) {
                if (
                    existsSync(docker.calls) &&
                    readFileSync(docker.calls, "utf8").includes(" up -d")
                )
                    return;
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
            throw new Error(`compose up never started: ${stderr}`);
        };
        return { ...docker, done, upStarted };
    }

    it("the monitor skips its check while a deploy's compose up runs", async () => {
        const deploy = composeUp(30);
        await deploy.upStarted();
        const check = await sandbox.run(sandbox.script("health-monitor.sh"));
        expect(check.code, check.stderr).toBe(0);
        expect(check.stderr).toContain("skipping this check");
        expect(sandbox.dockerCalls()).toEqual([]);
        writeFileSync(deploy.release, "");
        const result = await deploy.done;
        expect(result.stderr).toBe("");
        expect(result.stdout.trimEnd().split("\n").at(-1)).toBe("UNCHANGED");
    });

    it("a deploy waits for the lock and fails clearly when a check or restore keeps it", async () => {
        const holder = await holdLock(path.join(sandbox.paths.lockDir, "maintenance.lock"));
        try {
            const deploy = composeUp(1);
            const result = await deploy.done;
            expect(result.code).toBe(1);
            expect(result.stderr).toContain(
                "is still held after 1s (a health check or a database restore is running)",
            );
            expect(
                existsSync(deploy.calls) ? readFileSync(deploy.calls, "utf8") : "",
            ).not.toContain(" up -d");
        } finally {
            holder.release();
        }
    });
});
