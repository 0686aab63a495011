import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
    encodeFileLines,
    operationsFiles,
    planOperations,
} from "../../components/plan/operations-plan";
import { parseOutcome, Step } from "../../components/plan/step";
import { BOT, operationsInput, OpsSandbox } from "./helpers/sandbox";

const TOKEN = "123456:TEST-token-not-real_abcdefghijklmnop";

describe("the operations steps, run on this machine with fake systemctl and docker", () => {
    let sandbox: OpsSandbox;

    beforeEach(() => {
        sandbox = new OpsSandbox();
    });
    afterEach(() => sandbox.cleanup());

    /** The plan for a config, with /etc paths moved into the sandbox. */
    function plan(raw: unknown): { secrets: Step; install: Step } {
        const input = operationsInput(sandbox.stackDir, raw);
        const secretValues = { botTokens: { [BOT]: TOKEN } };
        const [secrets, install] = planOperations(input, secretValues, sandbox.paths);
        const files = operationsFiles(input, sandbox.paths).map((file) => ({
            ...file,
            path: file.path.startsWith("/etc/") ? path.join(sandbox.root, file.path) : file.path,
        }));
        return { secrets: secrets!, install: { ...install!, stdin: encodeFileLines(files) } };
    }

    async function apply(step: Step) {
        const result = await sandbox.run("bash", ["-c", step.script], step.stdin);
        expect(result.code, result.stderr).toBe(0);
        return { ...result, outcome: parseOutcome(result.stdout) };
    }

    const unit = (name: string) => path.join(sandbox.root, "etc/systemd/system", name);

    it("installs files and timers once, then reports UNCHANGED and touches nothing", async () => {
        const { install } = plan({});

        expect((await apply(install)).outcome).toBe("CHANGED");
        expect(statSync(sandbox.script("backup-postgres.sh")).mode & 0o777).toBe(0o750);
        expect(statSync(unit("telegram-backup.timer")).mode & 0o777).toBe(0o644);
        expect(readFileSync(unit("telegram-backup.timer"), "utf8")).toContain(
            "OnCalendar=*-*-* 03:00:00 Europe/Moscow",
        );
        expect(statSync(sandbox.backupDir).mode & 0o777).toBe(0o700);
        expect(sandbox.systemctlCalls()).toEqual([
            "daemon-reload",
            "restart systemd-journald",
            "is-enabled --quiet telegram-backup.timer",
            "enable --now telegram-backup.timer",
            "is-enabled --quiet telegram-health.timer",
            "enable --now telegram-health.timer",
        ]);

        sandbox.clearCalls();
        expect((await apply(install)).outcome).toBe("UNCHANGED");
        expect(sandbox.systemctlCalls().filter((call) => !call.startsWith("is-"))).toEqual([]);
    });

    it("reloads systemd and restarts the timers when the schedule changes", async () => {
        await apply(plan({}).install);
        sandbox.clearCalls();

        const result = await apply(plan({ backups: { time: "04:30" } }).install);

        expect(result.outcome).toBe("CHANGED");
        expect(readFileSync(unit("telegram-backup.timer"), "utf8")).toContain(
            "OnCalendar=*-*-* 04:30:00 Europe/Moscow",
        );
        const actions = sandbox.systemctlCalls().filter((call) => !call.startsWith("is-"));
        expect(actions).toEqual([
            "daemon-reload",
            "restart telegram-backup.timer",
            "restart telegram-health.timer",
        ]);
    });

    it("changes only the script when only the retention changes", async () => {
        await apply(plan({}).install);
        sandbox.clearCalls();

        const result = await apply(plan({ backups: { retentionDays: 14 } }).install);

        expect(result.outcome).toBe("CHANGED");
        expect(result.stdout).toContain(`installed ${sandbox.script("backup-postgres.sh")}`);
        const script = readFileSync(sandbox.script("backup-postgres.sh"), "utf8");
        expect(script).toContain("readonly RETENTION_DAYS='14'");
        expect(sandbox.systemctlCalls().filter((call) => !call.startsWith("is-"))).toEqual([]);
    });

    it("fails when a container of the stack logs without rotation", async () => {
        sandbox.setDockerFile("log-config", BOT, "json-file <no value>");
        const { install } = plan({});

        const result = await sandbox.run("bash", ["-c", install.script], install.stdin);

        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain(
            `container telegram-ecosystem-${BOT}-1 logs with json-file without max-size`,
        );
    });

    it("accepts the local log driver, which rotates by default", async () => {
        for (const service of ["postgres", "telegram-bot-api", BOT]) {
            sandbox.setDockerFile("log-config", service, "local <no value>");
        }
        expect((await apply(plan({}).install)).outcome).toBe("CHANGED");
    });

    it("stops before installing anything when systemd cannot parse the schedule", async () => {
        const { install } = plan({});
        const broken = install.script.replace("Europe/Moscow", "Mars/Olympus_Mons");

        const result = await sandbox.run("bash", ["-c", broken], install.stdin);

        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain("systemd cannot parse the backup schedule");
        expect(existsSync(unit("telegram-backup.timer"))).toBe(false);
    });

    it("writes the secret files root-only, and removes them when turned off", async () => {
        // The keys are secrets: the stack passes them apart from the plain config.
        const input = operationsInput(sandbox.stackDir, {
            backups: { s3: { endpoint: "https://s3.example.test", bucket: "team-backups" } },
            monitor: { alerts: { chatId: -1001234567890 } },
        });
        const offsiteKeys = { accessKeyId: "TESTKEY0001", secretAccessKey: "test-secret-not-real" };
        const secretValues = { botTokens: { [BOT]: TOKEN }, offsiteKeys };
        const [secrets] = planOperations(input, secretValues, sandbox.paths);
        expect(secrets!.secret).toBe(true);

        const first = await apply(secrets!);
        expect(first.outcome).toBe("CHANGED");
        expect(first.stdout + first.stderr).not.toContain("test-secret-not-real");
        expect(first.stdout + first.stderr).not.toContain(TOKEN);
        for (const file of [sandbox.paths.offsiteEnvFile, sandbox.paths.alertEnvFile]) {
            expect(statSync(file).mode & 0o777).toBe(0o600);
        }
        expect(readFileSync(sandbox.paths.offsiteEnvFile, "utf8")).toBe(
            "S3_ENDPOINT=https://s3.example.test\nS3_BUCKET=team-backups\nS3_REGION=ru-1\n" +
                "S3_PREFIX=telegram-ecosystem/\nS3_ACCESS_KEY_ID=TESTKEY0001\n" +
                "S3_SECRET_ACCESS_KEY=test-secret-not-real\n",
        );
        expect(readFileSync(sandbox.paths.alertEnvFile, "utf8")).toBe(
            `ALERT_BOT_TOKEN=${TOKEN}\nALERT_CHAT_ID=-1001234567890\nALERT_API_BASE_URL=local\n`,
        );
        expect((await apply(secrets!)).outcome).toBe("UNCHANGED");

        const off = await apply(plan({}).secrets);
        expect(off.outcome).toBe("CHANGED");
        expect(existsSync(sandbox.paths.offsiteEnvFile)).toBe(false);
        expect(existsSync(sandbox.paths.alertEnvFile)).toBe(false);
        expect((await apply(plan({}).secrets)).outcome).toBe("UNCHANGED");
    });
});
