import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planProvisioning, type RuntimeValues } from "../../components/plan/plan";
import { changedSteps } from "../../components/plan/plan-changes";
import type { Step } from "../../components/plan/step";
import { runCli } from "../day2/helpers/fake-tools";
import { FakeBotApi, FakeHeartbeat } from "../operations/helpers/fake-servers";
import { applySteps } from "../vps/applier";
import { waitUntil } from "../vps/host-commands";
import { e2eConfig, provision, type ConfigOverrides } from "../vps/provision";
import type { ExecResult } from "../vps/ssh";
import { TestVps } from "../vps/vps";
import { SSHD_DROP_IN } from "../../components/plan/steps/bootstrap-steps";

/**
 * The small-VPS guardrails on one test VPS, provisioned by the real plan with a 15-second monitor
 * interval, alerts going to a fake Bot API and heartbeats to a loopback receiver (both on the CI
 * side of the veth): the heartbeat, `ops check` healthy and broken, disk/memory/OOM alerts, and
 * ten bot redeploys with image pruning followed by a rollback to the kept image.
 */

const BOT = "mpcabinet-picture-bot";
const STACK_DIR = "/opt/telegram-ecosystem";
const COMPOSE = `cd ${STACK_DIR} && docker compose -p telegram-ecosystem`;
const INTERVAL_SECONDS = 15;
/** One monitor cycle plus the run itself (docker compose v1 is slow on one vCPU) and slack. */
const ONE_CYCLE_MS = (INTERVAL_SECONDS + 45) * 1000;
const CHAT = "4242";
const CHECK_ID = "7d1f0c3e-8a2b-4c5d-9e6f-0a1b2c3d4e5f";
const KEPT = `/var/lib/telegram-ecosystem/images/${BOT}`;
/** What `pulumi up` runs for a new bot image (plan-changes.test.ts proves the same list). */
const REDEPLOY_STEPS = ["stack-compose-file", "stack-postgres-up", "stack-up", "prune-images"];
const log = (line: string) => process.stderr.write(`[guardrails e2e] ${line}\n`);

describe("small-VPS guardrails on the test VPS", () => {
    let vps: TestVps | undefined;
    const api = new FakeBotApi();
    const heartbeat = new FakeHeartbeat();
    let serversStarted = false;
    /** The monitor block every deploy starts from. */
    let monitor: Record<string, unknown> = {};
    let runtime: RuntimeValues;
    let plan: readonly Step[];
    let work: string;

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
            const where = `failed on the test VPS (exit ${result.code}): ${command}`;
            throw new Error(`${where}\n${result.stderr}`);
        }
        return result.stdout;
    }

    /** Applies what `pulumi up` would run after a config or image change: the changed steps. */
    async function deploy(overrides: ConfigOverrides, images = runtime.botImages) {
        const config = e2eConfig(vps!, { monitor, ...overrides });
        // As index.ts: a bot with `image` set deploys that image instead of a build.
        const botImages = Object.fromEntries(
            config.bots.map((bot) => [bot.name, bot.image ?? images[bot.name]!]),
        );
        const next = planProvisioning(config, { ...runtime, botImages });
        const steps = changedSteps(plan, next);
        await applySteps(() => vps!.session(), steps);
        plan = next;
        runtime = { ...runtime, botImages };
        return steps.map((step) => step.id);
    }

    const mentions = (text: string) => () =>
        api.messages.filter((message) => message.text.includes(text));

    beforeAll(async () => {
        work = mkdtempSync(join(tmpdir(), "guardrails-e2e-"));
        vps = await TestVps.create({ log });
        const apiBaseUrl = await api.start(vps.network.hostAddress);
        const receiver = await heartbeat.start(vps.network.hostAddress);
        serversStarted = true;
        monitor = {
            intervalMinutes: INTERVAL_SECONDS / 60,
            alerts: { chatId: CHAT, apiBaseUrl },
            heartbeatUrl: `${receiver}/ping/${CHECK_ID}`,
        };
        const provisioned = await provision(vps, log, { monitor });
        runtime = provisioned.runtime;
        plan = provisioned.plan;
    });

    afterAll(async () => {
        if (serversStarted) await Promise.all([api.stop(), heartbeat.stop()]);
        await vps?.destroy();
        if (work) rmSync(work, { recursive: true, force: true });
    });

    it("pings the heartbeat URL after every check", async () => {
        const twoPings = () => heartbeat.pings.length >= 2;
        expect(await waitUntil(twoPings, 2 * ONE_CYCLE_MS, 500)).toBe(true);
        expect(heartbeat.pings[0]).toEqual({ method: "GET", path: `/ping/${CHECK_ID}` });
        const ok = await run("cat /var/lib/telegram-health/heartbeat.last-ok");
        expect(Number(ok)).toBeGreaterThan(0);
        // The URL is the check's secret: root-only file, never in a unit or a script.
        expect(
            (await run("stat -c '%a %U' /etc/telegram-ecosystem/health-alerts.env")).trim(),
        ).toBe("600 root");
        const scripts = await exec(`grep -rl ${CHECK_ID} ${STACK_DIR}/scripts /etc/systemd/system`);
        expect(scripts.stdout).toBe("");
    });

    describe("npm run ops -- check", () => {
        const project = () => join(work, "project");

        function ops(command: string) {
            const identity = join(vps!.runDir, "id_ed25519");
            return runCli("scripts/ops/main.ts", ["--identity", identity, command], {
                cwd: project(),
                env: { PATH: "/usr/bin:/bin", HOME: join(work, "home") },
            });
        }
        const check = () => ops("check");

        /** item name -> "PASS ..." or "FAIL ..." line. */
        function items(stdout: string): Record<string, string> {
            const result: Record<string, string> = {};
            for (const line of stdout.split("\n")) {
                const match = /^(PASS|FAIL) +(\S+) +(.*)$/.exec(line);
                if (match) result[match[2]!] = `${match[1]} ${match[3]}`;
            }
            return result;
        }

        const ITEMS = [
            "firewall",
            "ssh-passwords",
            "backups",
            "telegram-backup",
            "telegram-health",
            "health-monitor",
            "services",
            "log-rotation",
            "automatic-updates",
            "heartbeat",
            "local-bot-api",
            "analytics-writes",
            "disk",
            "memory",
        ];

        beforeAll(async () => {
            mkdirSync(join(work, "home"), { recursive: true });
            mkdirSync(project(), { recursive: true });
            const config = e2eConfig(vps!);
            const { host } = vps!.target;
            const values = { host, hostKey: config.hostKey!, stackDir: STACK_DIR };
            const lines = Object.entries(values).map(
                ([key, value]) => `  telegram-ecosystem:${key}: ${JSON.stringify(value)}`,
            );
            writeFileSync(join(project(), "Pulumi.e2e.yaml"), `config:\n${lines.join("\n")}\n`);
            await run("systemctl start telegram-backup.service");
        });

        it("passes every item on the healthy VPS", async () => {
            const result = await check();
            const found = items(result.stdout);
            expect(Object.keys(found)).toEqual(ITEMS);
            for (const name of ITEMS) expect(found[name], name).toMatch(/^PASS /);
            expect(found["local-bot-api"]).toContain(
                `local mode; ${BOT}'s media shared at /var/lib/telegram-media/${BOT}, getMe ok`,
            );
            expect(found["analytics-writes"]).toContain(
                "written to shared.analytics_events and rolled back",
            );
            expect(result.stdout).toContain(`${ITEMS.length} passed, 0 failed`);
            expect(result.code, result.stderr).toBe(0);
            // The probe row was rolled back.
            const rows = await run(
                `${COMPOSE} exec -T postgres psql -U telegram_admin -d telegram_ecosystem -qAt`,
                "SELECT count(*) FROM shared.analytics_events " +
                    "WHERE event_type = 'production_check';",
            );
            expect(rows.trim()).toBe("0");
        });

        it("ops status shows the bot image a rollback would use", async () => {
            const result = await ops("status");
            expect(result.code, result.stderr).toBe(0);
            expect(result.stdout).toContain(`${BOT}:current ${runtime.botImages[BOT]}`);
        });

        it("fails exactly the items broken on purpose, with their fixes, then passes again", async () => {
            const NARROWED_MATCH = "Match User e2e-nobody";
            const readOnly = (on: boolean) =>
                run(
                    `${COMPOSE} exec -T postgres psql -U telegram_admin -d postgres -qAt`,
                    `ALTER DATABASE telegram_ecosystem ${on ? "SET" : "RESET"} ` +
                        `default_transaction_read_only${on ? " = on" : ""};`,
                );
            const override = `${STACK_DIR}/docker-compose.override.yml`;
            const backups = `${STACK_DIR}/backups/backup_*.dump`;
            const breakAll = async () => {
                await run("ufw disable");
                // Sorts before 00-hardening.conf, so sshd takes its value (the first one wins);
                // the hardening's closing `Match all` guard would still turn passwords off for
                // every connection, so it is narrowed to one user as well.
                await run("echo 'PasswordAuthentication yes' > /etc/ssh/sshd_config.d/0-e2e.conf");
                await run(`sed -i 's/^Match all$/${NARROWED_MATCH}/' ${SSHD_DROP_IN}`);
                await run(`touch -d '3 days ago' ${backups}`);
                await run("systemctl stop telegram-backup.timer");
                await run(
                    `echo 'APT::Periodic::Unattended-Upgrade "0";' > /etc/apt/apt.conf.d/99e2e`,
                );
                heartbeat.answer = 500;
                // Someone's override turns local mode off: uploads would stop at 50 MB.
                await run(
                    `printf 'services:\\n  telegram-bot-api:\\n    environment:\\n` +
                        `      TELEGRAM_LOCAL: "0"\\n' > ${override}`,
                );
                await run(`${COMPOSE} up -d telegram-bot-api`);
                await readOnly(true);
            };
            const repair = async () => {
                heartbeat.answer = 200;
                await exec("ufw --force enable");
                await exec("rm -f /etc/ssh/sshd_config.d/0-e2e.conf /etc/apt/apt.conf.d/99e2e");
                await exec(`sed -i 's/^${NARROWED_MATCH}$/Match all/' ${SSHD_DROP_IN}`);
                await exec(`touch ${backups}`);
                await exec("systemctl start telegram-backup.timer");
                await exec(`rm -f ${override} && ${COMPOSE} up -d telegram-bot-api`);
                await readOnly(false);
            };
            try {
                await breakAll();
                // The heartbeat item needs one monitor cycle to see the failing ping.
                const lastError = "test -f /var/lib/telegram-health/heartbeat.last-error";
                const failedPing = async () => (await exec(lastError)).code === 0;
                expect(await waitUntil(failedPing, ONE_CYCLE_MS, 1000)).toBe(true);

                const result = await check();
                const found = items(result.stdout);
                const broken = {
                    firewall: "ufw is not active",
                    "ssh-passwords": "passwordauthentication yes",
                    backups: "is 72 h old (limit 26 h)",
                    "telegram-backup": "telegram-backup.timer is inactive",
                    "automatic-updates": 'APT::Periodic::Unattended-Upgrade is "0"',
                    heartbeat: "the last ping failed",
                    "local-bot-api": "does not run in local mode",
                    "analytics-writes": "read-only transaction",
                };
                for (const [name, detail] of Object.entries(broken)) {
                    expect(found[name], name).toMatch(/^FAIL /);
                    expect(found[name], name).toContain(detail);
                    expect(found[name], name).toMatch(/; fix: \S/);
                }
                const passing = ITEMS.filter((name) => !(name in broken));
                for (const name of passing) expect(found[name], name).toMatch(/^PASS /);
                expect(result.stdout).toContain(`${passing.length} passed, 8 failed`);
                expect(result.code).toBe(1);
            } finally {
                await repair();
            }
            const healthyPing = async () =>
                (await exec("test ! -f /var/lib/telegram-health/heartbeat.last-error")).code === 0;
            expect(await waitUntil(healthyPing, ONE_CYCLE_MS, 1000)).toBe(true);
            const again = await check();
            expect(again.stdout).toContain(`${ITEMS.length} passed, 0 failed`);
            expect(again.code).toBe(0);
        });
    });

    it("alerts once when disk, inodes or memory are under the limits, and once when back", async () => {
        // Real df and /proc/meminfo on the VPS; limits no healthy host can meet turn them "low".
        const strict = {
            disk: { minFreePercent: 99, minFreeInodesPercent: 99 },
            memory: { minAvailableMb: 1_048_576, lowChecks: 2 },
        };
        expect(await deploy({ monitor: { ...monitor, ...strict } })).toEqual(["operations"]);

        const disk = mentions(": disk: / has ");
        const inodes = mentions(": inodes: / has ");
        const memory = mentions("memory: only ");
        const alerted = () => disk().length > 0 && inodes().length > 0 && memory().length > 0;
        expect(await waitUntil(alerted, 3 * ONE_CYCLE_MS, 1000)).toBe(true);
        expect(memory()[0]!.text).toMatch(/for 2 checks in a row \(alert under 1048576 MB\)/);
        expect(disk()[0]!.text).toContain("(alert under 99%)");

        expect(await deploy({})).toEqual(["operations"]);
        const recovered = () =>
            ["disk", "inodes", "memory"].every(
                (subject) => mentions(`: ${subject} is healthy again`)().length === 1,
            );
        expect(await waitUntil(recovered, 2 * ONE_CYCLE_MS, 1000)).toBe(true);
        expect([disk().length, inodes().length, memory().length]).toEqual([1, 1, 1]);
    });

    it("reports an OOM kill inside a container, then recovers", async () => {
        // A container limited to 32 MB that allocates without end: the kernel kills it.
        const hog = "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));";
        const limits = "--memory 32m --memory-swap 32m";
        // The bot image has node in it.
        const image = runtime.botImages[BOT]!;
        const oom = await exec(`docker run --rm ${limits} --entrypoint node ${image} -e '${hog}'`);
        expect(oom.code).toBe(137);
        const alert = mentions("oom: the kernel killed");
        expect(await waitUntil(() => alert().length > 0, 2 * ONE_CYCLE_MS, 1000)).toBe(true);
        const recovered = mentions("oom is healthy again");
        expect(await waitUntil(() => recovered().length > 0, 2 * ONE_CYCLE_MS, 1000)).toBe(true);
    });

    it("ten bot redeploys leave Docker's disk use flat; a rollback reuses the kept image", async () => {
        const base = runtime.botImages[BOT]!;
        // Images, layers, containers and build cache; not the volumes (the database's own data).
        const dockerMb = async () =>
            Number(
                (await run("du -sxm --exclude=/var/lib/docker/volumes /var/lib/docker")).split(
                    "\t",
                )[0],
            );
        const imageCount = async () =>
            (await run("docker image ls -q | sort -u")).trim().split("\n").length;
        const exists = async (id: string) => (await exec(`docker image inspect ${id}`)).code === 0;
        const runningImage = async () =>
            (await run(`docker inspect -f '{{.Image}}' $(${COMPOSE} ps -q ${BOT})`)).trim();

        // Each "new version" of the bot: its image plus 32 MB that no other version shares.
        await run("install -d /root/redeploy");
        const build = async () => {
            await run(
                "head -c 32M /dev/urandom > /root/redeploy/payload && " +
                    `printf 'FROM ${base}\\nCOPY payload /opt/payload\\n' > /root/redeploy/Dockerfile`,
            );
            return (await run("DOCKER_BUILDKIT=0 docker build -q /root/redeploy")).trim();
        };
        const ids: string[] = [];
        const usage: number[] = [];
        const counts: number[] = [];
        for (let deployNumber = 1; deployNumber <= 10; deployNumber++) {
            const id = await build();
            ids.push(id);
            const steps = await deploy({}, { [BOT]: id });
            expect(steps).toEqual(REDEPLOY_STEPS);
            expect(await runningImage()).toBe(id);
            usage.push(await dockerMb());
            counts.push(await imageCount());
            log(
                `redeploy ${deployNumber}: ${id.slice(7, 19)}, /var/lib/docker ${usage.at(-1)} MB, ` +
                    `${counts.at(-1)} images`,
            );
        }
        // From the second deploy on, the host holds the current and the previous version only.
        expect(counts.slice(1)).toEqual(Array(9).fill(counts[1]));
        expect(Math.max(...usage.slice(1)) - usage[1]!).toBeLessThan(32);
        expect((await run(`cat ${KEPT}`)).trim()).toBe(`current ${ids[9]}\nprevious ${ids[8]}`);
        for (const old of ids.slice(0, 8)) expect(await exists(old), old).toBe(false);
        expect(await exists(base)).toBe(true);

        // Rollback: bots[0].image = the kept previous image; nothing is built.
        const steps = await deploy({ bots: [{ name: BOT, schema: "mpcabinet", image: ids[8] }] });
        expect(steps).toEqual(REDEPLOY_STEPS);
        expect(await runningImage()).toBe(ids[8]);
        expect(await imageCount()).toBe(counts[9]);
        // The version rolled back from is now the kept one, ready to roll forward again.
        expect((await run(`cat ${KEPT}`)).trim()).toBe(`current ${ids[8]}\nprevious ${ids[9]}`);
    }, 1_500_000);
});
