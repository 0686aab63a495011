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
const psql = (database: string) =>
    `${COMPOSE} exec -T postgres psql -U telegram_admin -d ${database} -v ON_ERROR_STOP=1 -qAt`;
const PSQL = psql("telegram_ecosystem");
const INTERVAL_SECONDS = 15;
/** One monitor cycle plus the run itself (several docker calls on a busy machine) and slack. */
const ONE_CYCLE_MS = (INTERVAL_SECONDS + 45) * 1000;
const CHAT = "4242";
const BACKUP_NAME = /^backup_\d{8}_\d{6}\.dump$/;
const log = (line: string) => process.stderr.write(`[operations e2e] ${line}\n`);

/** "schema.table rows md5" for every user table, in one psql call (\gexec). */
const FINGERPRINT_SQL = `
SELECT format('SELECT %L || '' '' || count(*) || '' '' '
              '|| coalesce(md5(string_agg(t::text, ''|'' ORDER BY t::text)), ''-'') '
              'FROM %I.%I AS t',
              schemaname || '.' || tablename, schemaname, tablename)
FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
ORDER BY schemaname, tablename
\\gexec
`;

const KNOWN_ROWS_SQL = `
INSERT INTO shared.users (telegram_id, username, first_name, first_seen, last_seen)
    SELECT 5000 + n, 'e2e' || n, 'Пользователь ' || n,
           TIMESTAMP '2026-01-01' + n * INTERVAL '1 hour',
           TIMESTAMP '2026-02-01' + n * INTERVAL '1 minute'
    FROM generate_series(1, 300) AS n;
INSERT INTO shared.analytics_events (telegram_id, event_type, event_data, created_at)
    SELECT 5000 + (n % 300) + 1, 'e2e_' || (n % 5), jsonb_build_object('n', n),
           TIMESTAMP '2026-03-01' + n * INTERVAL '1 second'
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
            throw new Error(
                `failed on the test VPS (exit ${result.code}): ${command}\n${result.stderr}`,
            );
        }
        return result.stdout;
    }

    const lines = (text: string) => text.trim().split("\n").filter(Boolean);
    const fingerprints = async () => lines(await run(PSQL, FINGERPRINT_SQL));
    const backupFiles = async () => lines(await run(`ls -A ${STACK_DIR}/backups`)).sort();
    const STATE_FORMAT =
        "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}";
    // `ps -a`: Compose v2 lists only running containers without it.
    const containerState = async (service: string) => {
        const id = (await run(`${COMPOSE} ps -a -q ${service}`)).trim();
        return (await run(`docker inspect --format '${STATE_FORMAT}' ${id}`)).trim();
    };
    const isHealthy = (service: string) => async () =>
        (await containerState(service)) === "running healthy";
    const mentions = (text: string) => () =>
        api.messages.filter((message) => message.text.includes(text));
    const botMessages = mentions(`service.${BOT}`);

    beforeAll(async () => {
        vps = await TestVps.create({ log });
        const apiBaseUrl = await api.start(vps.network.hostAddress);
        apiStarted = true;
        await provision(vps, log, {
            monitor: {
                intervalMinutes: INTERVAL_SECONDS / 60,
                alerts: { chatId: CHAT, apiBaseUrl },
            },
        });
    });

    afterAll(async () => {
        if (apiStarted) await api.stop();
        await vps?.destroy();
    });

    it("installs both timers, the journald cap and containers whose logs rotate", async () => {
        const timers = "telegram-backup.timer telegram-health.timer";
        expect(lines(await run(`systemctl is-enabled ${timers}`))).toEqual(["enabled", "enabled"]);
        expect(lines(await run(`systemctl is-active ${timers}`))).toEqual(["active", "active"]);
        const calendar = await run("systemctl show -P TimersCalendar telegram-backup.timer");
        expect(calendar).toContain("OnCalendar=*-*-* 03:00:00 Europe/Moscow");
        const journald = await run("systemd-analyze cat-config systemd/journald.conf");
        expect(journald).toMatch(/^SystemMaxUse=200M$/m);
        // journald itself reports the cap it applies ("System Journal ... max 200.0M", or
        // "max 200M" from systemd 257 on).
        const journaldLog = await run("journalctl -u systemd-journald -o cat");
        expect(journaldLog).toMatch(/System Journal .* max 200(\.0)?M/);
        const logConfigs = await run(
            `docker inspect --format '{{.HostConfig.LogConfig.Type}} ` +
                `{{index .HostConfig.LogConfig.Config "max-size"}}' $(${COMPOSE} ps -q)`,
        );
        expect(lines(logConfigs)).toHaveLength(3);
        for (const line of lines(logConfigs)) {
            expect(line).toMatch(/^(json-file [1-9][0-9]*[kmg]|local .*)$/);
        }
    });

    it('reaches the Bot API container from the host, as apiBaseUrl "local" alerts do', async () => {
        const id = (await run(`${COMPOSE} ps -q telegram-bot-api`)).trim();
        const networks = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}";
        const inspected = await run(`docker inspect --format '${networks}' ${id}`);
        const [address] = inspected.trim().split(" ");
        expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        const url = `http://${address}:8081/bot123456:e2e/getMe`;
        const answer: unknown = JSON.parse(await run(`curl -sS --max-time 10 ${url}`));
        expect(answer).toMatchObject({ ok: true, result: { id: 123456, is_bot: true } });
    });

    it("restores a backup so that every table has the same rows and checksum", async () => {
        await run(PSQL, KNOWN_ROWS_SQL);
        const before = await fingerprints();
        expect(before.join("\n")).toContain("mpcabinet.e2e_notes 50 ");

        await run("systemctl start telegram-backup.service");
        const backups = (await backupFiles()).filter((name) => BACKUP_NAME.test(name));
        expect(backups).toHaveLength(1);
        const file = `${STACK_DIR}/backups/${backups[0]}`;
        const modes = lines(await run(`stat -c '%a %U' ${file} ${STACK_DIR}/backups`));
        expect(modes).toEqual(["600 root", "700 root"]);

        await run(
            PSQL,
            `DELETE FROM shared.analytics_events WHERE id % 3 = 0;
            UPDATE shared.users SET username = 'destroyed'; DROP TABLE mpcabinet.e2e_notes;`,
        );
        expect(await fingerprints()).not.toEqual(before);

        const restore = await exec(`${STACK_DIR}/scripts/restore-postgres.sh --yes ${backups[0]}`);
        expect(restore.code, restore.stderr).toBe(0);

        expect(await fingerprints()).toEqual(before);
        // No scratch or previous copy is left behind.
        const databases = await run(
            psql("postgres"),
            "SELECT datname FROM pg_database WHERE datname LIKE 'telegram_ecosystem%';",
        );
        expect(databases).toBe("telegram_ecosystem\n");
        expect(await waitUntil(isHealthy(BOT), ONE_CYCLE_MS, 1000)).toBe(true);
    });

    it("keeps exactly the complete backups younger than the retention period", async () => {
        const place = (name: string, age: string) => {
            const file = `${STACK_DIR}/backups/${name}`;
            return run(`install -m 0600 /dev/null ${file} && touch -d '${age}' ${file}`);
        };
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
        expect(left[3]).toMatch(BACKUP_NAME);
        const journal = await run("journalctl -u telegram-backup.service --no-pager -o cat");
        for (const gone of ["backup_20200101_030000.dump", "backup_20200102_030000.dump"]) {
            expect(journal).toContain(`retention: deleted ${STACK_DIR}/backups/${gone}`);
        }
    });

    it("fails the backup unit visibly on a failed dump, leaves no file, alerts once", async () => {
        // Keep the monitor from healing postgres while the dump must fail.
        await run("systemctl stop telegram-health.timer");
        const filesBefore = await backupFiles();
        await run(`${COMPOSE} stop postgres`);
        try {
            const start = await exec("systemctl start telegram-backup.service");
            expect(start.code).not.toBe(0);
            const state = await exec("systemctl is-failed telegram-backup.service");
            expect(state.stdout.trim()).toBe("failed");
            expect(await backupFiles()).toEqual(filesBefore);
            const journal = await run("journalctl -u telegram-backup.service -o cat -n 20");
            expect(journal).toContain("pg_dump failed");
        } finally {
            await run(`${COMPOSE} start postgres`);
            await run("systemctl start telegram-health.timer");
        }
        const backupAlert = mentions("the last backup failed");
        expect(await waitUntil(() => backupAlert().length > 0, ONE_CYCLE_MS, 500)).toBe(true);

        expect(await waitUntil(isHealthy("postgres"), ONE_CYCLE_MS, 1000)).toBe(true);
        await run("systemctl start telegram-backup.service");
        const recovered = mentions("unit.telegram-backup.service is healthy again");
        expect(await waitUntil(() => recovered().length > 0, ONE_CYCLE_MS, 500)).toBe(true);
        expect(backupAlert()).toHaveLength(1);
        expect(recovered()).toHaveLength(1);
    });

    it("restarts a stopped bot within one cycle; one alert, one recovery message", async () => {
        // Start from a quiet stack: every service healthy and no open incident.
        expect(await waitUntil(isHealthy(BOT), ONE_CYCLE_MS, 1000)).toBe(true);
        const incidents = "ls /var/lib/telegram-health | grep '^incident\\.service\\.' || true";
        const noIncident = async () => (await run(incidents)).trim() === "";
        expect(await waitUntil(noIncident, ONE_CYCLE_MS, 1000)).toBe(true);
        const alertsBefore = botMessages().length;

        await run(`${COMPOSE} stop ${BOT}`);
        const stoppedAt = Number(await run("date +%s.%N"));
        expect(await containerState(BOT)).toMatch(/^exited/);

        const running = async () => (await containerState(BOT)).startsWith("running");
        expect(await waitUntil(running, ONE_CYCLE_MS, 1000)).toBe(true);
        // Within one cycle: the first check that started after the stop is the one that repaired.
        const since = Math.floor(stoppedAt) - 1;
        const entries = await run(`journalctl -u telegram-health -o short-unix --since @${since}`);
        const after = lines(entries).filter((line) => Number(line.split(" ")[0]) > stoppedAt);
        const start = after.findIndex((line) => line.includes("Starting telegram-health.service"));
        const end = after.findIndex((line, index) => index > start && line.includes(": checked "));
        expect(start).toBeGreaterThan(-1);
        const firstCheck = after.slice(start, end + 1).join("\n");
        expect(firstCheck).toContain(`running docker compose up -d ${BOT}`);
        const alerted = () => botMessages().length > alertsBefore;
        expect(await waitUntil(alerted, ONE_CYCLE_MS, 500)).toBe(true);
        const [alert] = botMessages().slice(alertsBefore);
        expect(alert!.chatId).toBe(CHAT);
        expect(alert!.text).toContain(`${BOT} was down`);
        expect(alert!.text).toContain(`ran docker compose up -d ${BOT}`);

        const recovered = () => botMessages().length > alertsBefore + 1;
        expect(await waitUntil(recovered, 2 * ONE_CYCLE_MS, 500)).toBe(true);
        // Two more cycles: no further messages about the bot.
        await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL_SECONDS * 1000 + 5000));
        const messages = botMessages()
            .slice(alertsBefore)
            .map((message) => message.text);
        expect(messages).toHaveLength(2);
        expect(messages[0]).toMatch(/^🔴 /);
        expect(messages[1]).toMatch(new RegExp(`^✅ .*service\\.${BOT} is healthy again`));
        const journal = await run("journalctl -u telegram-health.service --no-pager -o cat");
        expect(journal).toContain(`running docker compose up -d ${BOT}`);
        expect(journal).toContain(`incident closed: service.${BOT} is healthy again`);
    });
});
