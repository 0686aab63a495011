import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeBotApi } from "../operations/helpers/fake-servers";
import { waitUntil } from "../vps/host-commands";
import { provision } from "../vps/provision";
import { ExecResult } from "../vps/ssh";
import { TestVps } from "../vps/vps";

/**
 * Backups, restore and the health monitor on the test VPS, provisioned by the real plan with a
 * 15-second monitor interval and alerts going to a fake Bot API on the CI side of the veth.
 */

const BOT = "mpcabinet-picture-bot";
const STACK_DIR = "/opt/telegram-ecosystem";
const COMPOSE = `cd ${STACK_DIR} && docker compose -p telegram-ecosystem`;
const PSQL = `${COMPOSE} exec -T postgres psql -U telegram_admin -d telegram_ecosystem -v ON_ERROR_STOP=1 -qAt`;
const INTERVAL_SECONDS = 15;
/** One monitor cycle plus the run itself (docker compose v1 is slow on one vCPU) and slack. */
const ONE_CYCLE_MS = (INTERVAL_SECONDS + 45) * 1000;
const CHAT = "4242";
const log = (line: string) => process.stderr.write(`[operations e2e] ${line}\n`);

/** "schema.table rows md5" for every user table, in one psql call (\gexec). */
const FINGERPRINT_SQL = `
SELECT format('SELECT %L || '' '' || count(*) || '' '' || coalesce(md5(string_agg(t::text, ''|'' ORDER BY t::text)), ''-'') FROM %I.%I AS t',
              schemaname || '.' || tablename, schemaname, tablename)
FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY schemaname, tablename
\\gexec
`;

const KNOWN_ROWS_SQL = `
INSERT INTO shared.users (telegram_id, username, first_name, first_seen, last_seen)
    SELECT 5000 + n, 'e2e' || n, 'Пользователь ' || n, TIMESTAMP '2026-01-01' + n * INTERVAL '1 hour',
           TIMESTAMP '2026-02-01' + n * INTERVAL '1 minute'
    FROM generate_series(1, 300) AS n;
INSERT INTO shared.analytics_events (telegram_id, event_type, event_data, created_at)
    SELECT 5000 + (n % 300) + 1, 'e2e_' || (n % 5), jsonb_build_object('n', n), TIMESTAMP '2026-03-01' + n * INTERVAL '1 second'
    FROM generate_series(1, 2000) AS n;
CREATE TABLE mpcabinet.e2e_notes (id BIGSERIAL PRIMARY KEY, note TEXT NOT NULL);
INSERT INTO mpcabinet.e2e_notes (note) SELECT 'note ' || n FROM generate_series(1, 50) AS n;
`;

describe("operations on the test VPS", () => {
    let vps: TestVps | undefined;
    const api = new FakeBotApi();
    let apiStarted = false;

    async function exec(command: string, stdin?: string): Promise<ExecResult> {
        const session = await vps!.session();
        try {
            return await session.exec(command, stdin === undefined ? {} : { stdin });
        } finally {
            session.close();
        }
    }

    async function run(command: string, stdin?: string): Promise<string> {
        const result = await exec(command, stdin);
        if (result.code !== 0) {
            throw new Error(`failed on the test VPS (exit ${result.code}): ${command}\n${result.stderr}`);
        }
        return result.stdout;
    }

    const fingerprints = async () => (await run(PSQL, FINGERPRINT_SQL)).trim().split("\n");
    const backupFiles = async () => (await run(`ls -A ${STACK_DIR}/backups`)).trim().split("\n").filter(Boolean).sort();
    const containerState = async (service: string) =>
        (await run(`docker inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' ` +
            `$(${COMPOSE} ps -q ${service})`)).trim();
    const botMessages = () => api.messages.filter((message) => message.text.includes(`service.${BOT}:`) ||
        message.text.includes(`service.${BOT} is healthy`));

    beforeAll(async () => {
        vps = await TestVps.create({ log });
        const apiBaseUrl = await api.start(vps.network.hostAddress);
        apiStarted = true;
        await provision(vps, log, {
            monitor: { intervalMinutes: INTERVAL_SECONDS / 60, alerts: { chatId: CHAT, apiBaseUrl } },
        });
    });

    afterAll(async () => {
        if (apiStarted) await api.stop();
        await vps?.destroy();
    });

    it("installs both timers, the journald cap and containers whose logs rotate", async () => {
        const timers = await run("systemctl list-timers --all --no-legend telegram-backup.timer telegram-health.timer");
        expect(timers).toContain("telegram-backup.timer");
        expect(timers).toContain("telegram-health.timer");
        expect((await run("systemctl is-enabled telegram-backup.timer telegram-health.timer")).trim().split("\n"))
            .toEqual(["enabled", "enabled"]);
        const calendar = await run("systemctl show -P TimersCalendar telegram-backup.timer");
        expect(calendar).toContain("OnCalendar=*-*-* 03:00:00 Europe/Moscow");
        expect(await run("systemd-analyze cat-config systemd/journald.conf")).toMatch(/^SystemMaxUse=200M$/m);
        const logConfigs = await run(`docker inspect --format '{{.HostConfig.LogConfig.Type}} ` +
            `{{index .HostConfig.LogConfig.Config "max-size"}}' $(${COMPOSE} ps -q)`);
        for (const line of logConfigs.trim().split("\n")) expect(line).toMatch(/^(json-file [1-9][0-9]*[kmg]|local .*)$/);
    });

    it("restores a backup so that every table has the same rows and checksum", async () => {
        await run(PSQL, KNOWN_ROWS_SQL);
        const before = await fingerprints();
        expect(before.join("\n")).toContain("mpcabinet.e2e_notes 50 ");

        await run("systemctl start telegram-backup.service");
        const backups = (await backupFiles()).filter((name) => /^backup_\d{8}_\d{6}\.dump$/.test(name));
        expect(backups).toHaveLength(1);
        const file = `${STACK_DIR}/backups/${backups[0]}`;
        expect((await run(`stat -c '%a %U' ${file} ${STACK_DIR}/backups`)).trim().split("\n")).toEqual(["600 root", "700 root"]);

        await run(PSQL, `DELETE FROM shared.analytics_events WHERE id % 3 = 0;
            UPDATE shared.users SET username = 'destroyed'; DROP TABLE mpcabinet.e2e_notes;`);
        expect(await fingerprints()).not.toEqual(before);

        const restore = await exec(`${STACK_DIR}/scripts/restore-postgres.sh --yes ${backups[0]}`);
        expect(restore.code, restore.stderr).toBe(0);

        expect(await fingerprints()).toEqual(before);
        expect(await run(`${COMPOSE} exec -T postgres psql -U telegram_admin -d postgres -qAt -c ` +
            `"SELECT datname FROM pg_database WHERE datname LIKE 'telegram_ecosystem%' ORDER BY 1"`)).toBe("telegram_ecosystem\n");
        expect(await waitUntil(async () => (await containerState(BOT)) === "running healthy", ONE_CYCLE_MS, 1000)).toBe(true);
    });

    it("keeps exactly the complete backups younger than the retention period", async () => {
        const place = (name: string, age: string) =>
            run(`install -m 0600 /dev/null ${STACK_DIR}/backups/${name} && touch -d '${age}' ${STACK_DIR}/backups/${name}`);
        await run(`rm -f ${STACK_DIR}/backups/*`);
        await place("backup_20200101_030000.dump", "8 days ago");
        await place("backup_20200102_030000.dump", "7 days ago 1 hour ago");
        await place("backup_20200103_030000.dump", "6 days ago 23 hours ago");
        await place("backup_20200104_030000.dump", "1 day ago");
        await place(".backup_20200105_030000.dump.partial", "30 days ago");

        await run("systemctl start telegram-backup.service");

        const left = await backupFiles();
        expect(left).toHaveLength(4);
        expect(left.slice(0, 3)).toEqual([
            ".backup_20200105_030000.dump.partial",
            "backup_20200103_030000.dump",
            "backup_20200104_030000.dump",
        ]);
        expect(left[3]).toMatch(/^backup_\d{8}_\d{6}\.dump$/);
        const journal = await run("journalctl -u telegram-backup.service --no-pager -o cat");
        expect(journal).toContain(`retention: deleted ${STACK_DIR}/backups/backup_20200101_030000.dump`);
        expect(journal).toContain(`retention: deleted ${STACK_DIR}/backups/backup_20200102_030000.dump`);
    });

    it("fails the backup unit visibly on a failed dump, leaves no file, and alerts once", async () => {
        // Keep the monitor from healing postgres while the dump must fail.
        await run("systemctl stop telegram-health.timer");
        const filesBefore = await backupFiles();
        await run(`${COMPOSE} stop postgres`);
        try {
            const start = await exec("systemctl start telegram-backup.service");
            expect(start.code).not.toBe(0);
            expect((await exec("systemctl is-failed telegram-backup.service")).stdout.trim()).toBe("failed");
            expect(await backupFiles()).toEqual(filesBefore);
            expect(await run("journalctl -u telegram-backup.service --no-pager -o cat -n 20")).toContain("pg_dump failed");
        } finally {
            await run(`${COMPOSE} start postgres`);
            await run("systemctl start telegram-health.timer");
        }
        const backupAlert = () => api.messages.filter((message) => message.text.includes("the last backup failed"));
        expect(await waitUntil(() => backupAlert().length > 0, ONE_CYCLE_MS, 500)).toBe(true);

        expect(await waitUntil(async () => (await containerState("postgres")) === "running healthy", ONE_CYCLE_MS, 1000))
            .toBe(true);
        await run("systemctl start telegram-backup.service");
        const recovered = () => api.messages.filter((message) =>
            message.text.includes("unit.telegram-backup.service is healthy again"));
        expect(await waitUntil(() => recovered().length > 0, ONE_CYCLE_MS, 500)).toBe(true);
        expect(backupAlert()).toHaveLength(1);
        expect(recovered()).toHaveLength(1);
    });

    it("restarts a stopped bot within one cycle and sends exactly one alert and one recovery", async () => {
        // Start from a quiet stack: every service healthy and no open incident.
        expect(await waitUntil(async () => (await containerState(BOT)) === "running healthy", ONE_CYCLE_MS, 1000)).toBe(true);
        expect(await waitUntil(async () =>
            (await run("ls /var/lib/telegram-health")).trim() === "", ONE_CYCLE_MS, 1000)).toBe(true);
        const alertsBefore = botMessages().length;

        await run(`${COMPOSE} stop ${BOT}`);
        expect(await containerState(BOT)).toMatch(/^exited/);

        expect(await waitUntil(async () => (await containerState(BOT)).startsWith("running"), ONE_CYCLE_MS, 1000)).toBe(true);
        expect(await waitUntil(() => botMessages().length > alertsBefore, ONE_CYCLE_MS, 500)).toBe(true);
        const [alert] = botMessages().slice(alertsBefore);
        expect(alert!.chatId).toBe(CHAT);
        expect(alert!.text).toContain(`${BOT} was down`);
        expect(alert!.text).toContain(`ran docker compose up -d ${BOT}`);

        expect(await waitUntil(() => botMessages().length > alertsBefore + 1, 2 * ONE_CYCLE_MS, 500)).toBe(true);
        // Two more cycles: no further messages about the bot.
        await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL_SECONDS * 1000 + 5000));
        const messages = botMessages().slice(alertsBefore).map((message) => message.text);
        expect(messages).toHaveLength(2);
        expect(messages[0]).toMatch(/^🔴 /);
        expect(messages[1]).toMatch(new RegExp(`^✅ .*service\\.${BOT} is healthy again`));
        const journal = await run("journalctl -u telegram-health.service --no-pager -o cat");
        expect(journal).toContain(`running docker compose up -d ${BOT}`);
        expect(journal).toContain(`incident closed: service.${BOT} is healthy again`);
    });
});
