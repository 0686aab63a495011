import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HOST_PATHS } from "../../components/plan/host-layout";
import { HostFile, operationsFiles, planOperations } from "../../components/plan/operations-plan";
import { expectGolden } from "../helpers/golden";
import { operationsGoldenCases } from "./golden-cases";
import { BOT, operationsInput } from "./helpers/sandbox";

const TOKEN = "123456:TEST-token-not-real_abcdefghijklmnop";
const S3_KEYS = { accessKeyId: "TESTKEY0001", secretAccessKey: "test-secret-not-real" };
const S3_ENDPOINT = "https://s3.test";
const FULL_CONFIG = {
    backups: { time: "02:15", retentionDays: 10, s3: { endpoint: S3_ENDPOINT, bucket: "b-1" } },
    monitor: { intervalMinutes: 2, alerts: { chatId: "-100987" } },
};

describe("rendered operations files", () => {
    const scratch = mkdtempSync(path.join(tmpdir(), "ops-templates-"));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    const defaults = operationsFiles(operationsInput("/opt/telegram-ecosystem"));
    const steps = planOperations(operationsInput("/opt/telegram-ecosystem", FULL_CONFIG), {
        botTokens: { [BOT]: TOKEN },
        offsiteKeys: S3_KEYS,
    });

    const isScript = (file: HostFile) => file.path.endsWith(".sh");
    const shellFiles = [
        ...defaults.filter(isScript).map((file) => ({ name: file.path, text: file.content })),
        ...steps.map((step) => ({ name: `step ${step.id}`, text: step.script })),
    ];

    it.each(shellFiles)("$name passes bash -n and shellcheck", ({ name, text }) => {
        const file = path.join(scratch, `${path.basename(name).replace(/ /g, "-")}.sh`);
        writeFileSync(file, text);
        execFileSync("bash", ["-n", file]);
        const lint = spawnSync("shellcheck", ["--severity=style", file], { encoding: "utf8" });
        expect(lint.error, "shellcheck is missing: run scripts/install-deps.sh").toBeUndefined();
        expect(lint.stdout + lint.stderr).toBe("");
        expect(lint.status).toBe(0);
    });

    it("the fakes used by these tests pass shellcheck too", () => {
        const helpers = ["fake-docker.sh", "fake-systemctl.sh", "fake-df.sh"];
        const lint = spawnSync("shellcheck", helpers, {
            cwd: path.join(__dirname, "helpers"),
            encoding: "utf8",
        });
        expect(lint.stdout + lint.stderr).toBe("");
    });

    it.each(operationsGoldenCases().map((golden) => [path.basename(golden.file), golden] as const))(
        "%s matches its golden file",
        (_name, golden) => expectGolden(golden.file, golden.render()),
    );

    it("units pass systemd-analyze verify", () => {
        // ExecStart must exist and be executable, so render for a stack directory that does.
        const stackDir = path.join(scratch, "stack");
        const unitDir = path.join(scratch, "units");
        mkdirSync(unitDir, { recursive: true });
        const units: string[] = [];
        for (const file of operationsFiles(operationsInput(stackDir, FULL_CONFIG))) {
            const target = file.path.startsWith(stackDir)
                ? file.path
                : path.join(unitDir, path.basename(file.path));
            mkdirSync(path.dirname(target), { recursive: true });
            writeFileSync(target, file.content, { mode: Number.parseInt(file.mode, 8) });
            if (/\.(service|timer)$/.test(target)) units.push(target);
        }
        expect(units).toHaveLength(4);
        const verify = spawnSync("systemd-analyze", ["verify", ...units], { encoding: "utf8" });
        expect(verify.error, "systemd-analyze is missing: install systemd").toBeUndefined();
        expect(verify.stderr).toBe("");
        expect(verify.status).toBe(0);
    });

    it("systemd accepts the backup schedule with its time zone", () => {
        const [timer] = operationsFiles(operationsInput("/opt/x", FULL_CONFIG)).filter((file) =>
            file.path.endsWith("telegram-backup.timer"),
        );
        const onCalendar = /^OnCalendar=(.*)$/m.exec(timer!.content)![1]!;
        expect(onCalendar).toBe("*-*-* 02:15:00 Europe/Moscow");
        const parsed = execFileSync("systemd-analyze", ["calendar", onCalendar]).toString();
        expect(parsed).toContain("Normalized form: *-*-* 02:15:00 Europe/Moscow");
    });

    it("renders the monitor interval in seconds, and short intervals too", () => {
        const timer = (minutes: number) => {
            const input = operationsInput("/opt/x", { monitor: { intervalMinutes: minutes } });
            const files = operationsFiles(input);
            return files.find((file) => file.path.endsWith("health.timer"))!.content;
        };
        expect(timer(5)).toContain("OnUnitActiveSec=300s");
        expect(timer(0.25)).toContain("OnUnitActiveSec=15s");
        expect(timer(0.25)).toContain("OnBootSec=15s");
    });

    it("puts no secret into a script, only into the secret step's stdin", () => {
        const everything = [...steps.map((step) => step.script), steps[1]!.stdin!].join("\n");
        for (const secret of [TOKEN, S3_KEYS.secretAccessKey, S3_KEYS.accessKeyId]) {
            expect(everything).not.toContain(secret);
            expect(everything).not.toContain(Buffer.from(secret).toString("base64").slice(0, 12));
        }
        const [secretStep, installStep] = steps;
        expect(secretStep!.id).toBe("operations-secrets");
        expect(secretStep!.secret).toBe(true);
        expect(installStep!.secret).toBe(false);
        const [offsite, alert] = secretStep!
            .stdin!.split("\n")
            .map((line) => Buffer.from(line, "base64").toString());
        expect(offsite).toContain(`S3_SECRET_ACCESS_KEY=${S3_KEYS.secretAccessKey}\n`);
        expect(alert).toContain(`ALERT_BOT_TOKEN=${TOKEN}\n`);
    });

    it("installs scripts under the stack dir and the rest where systemd reads it", () => {
        expect(defaults.map((file) => `${file.mode} ${file.path}`)).toEqual([
            "0750 /opt/telegram-ecosystem/scripts/backup-postgres.sh",
            "0750 /opt/telegram-ecosystem/scripts/restore-postgres.sh",
            "0750 /opt/telegram-ecosystem/scripts/health-monitor.sh",
            "0750 /opt/telegram-ecosystem/scripts/production-check.sh",
            "0644 /etc/systemd/system/telegram-backup.service",
            "0644 /etc/systemd/system/telegram-backup.timer",
            "0644 /etc/systemd/system/telegram-health.service",
            "0644 /etc/systemd/system/telegram-health.timer",
            "0644 /etc/systemd/journald.conf.d/50-telegram-ecosystem.conf",
        ]);
        expect(HOST_PATHS.alertEnvFile.startsWith("/etc/")).toBe(true);
    });
});
