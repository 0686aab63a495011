import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeBotApi, FakeHeartbeat } from "./helpers/fake-servers";
import { BOT, holdLock, OpsSandbox } from "./helpers/sandbox";

const STACK = "compose -p telegram-ecosystem";
const TOKEN = "123456:TEST-token-not-real_abcdefghijklmnop";
const CHAT = "-1001234567890";

describe("health-monitor.sh with a fake docker and a loopback Bot API", () => {
    let sandbox: OpsSandbox;
    let api: FakeBotApi;

    beforeEach(async () => {
        sandbox = new OpsSandbox();
        api = new FakeBotApi();
        const url = await api.start();
        configureAlerts(url);
    });
    afterEach(async () => {
        await api.stop();
        sandbox.cleanup();
    });

    function configureAlerts(baseUrl: string): void {
        writeFileSync(
            sandbox.paths.alertEnvFile,
            `ALERT_BOT_TOKEN=${TOKEN}\nALERT_CHAT_ID=${CHAT}\nALERT_API_BASE_URL=${baseUrl}\n`,
            { mode: 0o600 },
        );
    }

    const check = () => sandbox.run(sandbox.script("health-monitor.sh"));
    const REPAIR = /^compose .* (up|restart|unpause|start) /;
    const repairs = () => sandbox.dockerCalls().filter((call) => REPAIR.test(call));

    it("does nothing but look when every service is healthy", async () => {
        const result = await check();

        expect(result.code, result.stderr).toBe(0);
        expect(repairs()).toEqual([]);
        expect(api.messages).toEqual([]);
        expect(result.stderr).toContain("checked 3 services");
        expect(result.stderr).toContain("0 problem(s)");
        const last = readFileSync(path.join(sandbox.healthState, "last-check"), "utf8");
        expect(last).toMatch(/^\d{10} 0 0\n$/);
    });

    it("restarts exactly the stopped service, alerts once and sends one recovery", async () => {
        sandbox.setService(BOT, "exited none");
        // After `up -d` the container first reports "starting" until its healthcheck passes.
        sandbox.setAfterRepair(BOT, "running starting");

        const first = await check();

        expect(first.code, first.stderr).toBe(0);
        expect(repairs()).toEqual([`${STACK} up -d ${BOT}`]);
        expect(api.messages).toHaveLength(1);
        expect(api.messages[0]).toMatchObject({ token: TOKEN, chatId: CHAT });
        expect(api.messages[0]!.text).toContain(`${BOT} was down (exited none)`);
        expect(api.messages[0]!.text).toContain(`ran docker compose up -d ${BOT}`);
        expect(first.stderr).toContain(`incident opened: service.${BOT}`);

        sandbox.clearCalls();
        const second = await check();
        expect(second.code, second.stderr).toBe(0);
        expect(repairs()).toEqual([]);
        expect(api.messages).toHaveLength(1);

        sandbox.setService(BOT, "running healthy");
        const third = await check();
        expect(third.code, third.stderr).toBe(0);
        expect(api.messages).toHaveLength(2);
        expect(api.messages[1]!.text).toContain(`service.${BOT} is healthy again`);

        await check();
        expect(api.messages).toHaveLength(2);
    });

    it("brings back a removed container with up -d (restart could not)", async () => {
        sandbox.setService("telegram-bot-api", "absent");

        const result = await check();

        expect(result.code, result.stderr).toBe(0);
        expect(repairs()).toEqual([`${STACK} up -d telegram-bot-api`]);
        expect(sandbox.service("telegram-bot-api")).toBe("running healthy");
        expect(api.messages.map((message) => message.text)).toEqual([
            expect.stringContaining("telegram-bot-api was down (no running container)"),
        ]);
    });

    it("restarts an unhealthy service and keeps a single alert while it stays broken", async () => {
        sandbox.setService("postgres", "running unhealthy");
        sandbox.setAfterRepair("postgres", "running unhealthy");

        for (let run = 0; run < 3; run++) {
            const result = await check();
            expect(result.code, result.stderr).toBe(0);
        }

        expect(repairs()).toEqual(Array(3).fill(`${STACK} restart postgres`));
        expect(api.messages).toHaveLength(1);
        expect(api.messages[0]!.text).toContain("postgres was unhealthy (running unhealthy)");
    });

    it("fails the run when the repair fails, and says so in the alert", async () => {
        sandbox.setService(BOT, "exited none");
        sandbox.failDocker("up");

        const result = await check();

        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain(`ERROR: docker compose up -d ${BOT} failed`);
        expect(api.messages[0]!.text).toContain("FAILED");
    });

    it("retries an alert that could not be delivered, and still sends it only once", async () => {
        sandbox.setService(BOT, "exited none");
        sandbox.setAfterRepair(BOT, "exited none");
        api.failWith = 502;

        await check();
        expect(api.messages).toEqual([]);

        api.failWith = undefined;
        await check();
        await check();
        expect(api.messages).toHaveLength(1);
        expect(api.messages[0]!.text).toContain(`${BOT} was down`);
    });

    it("opens no incident for a service that is still starting", async () => {
        sandbox.setService(BOT, "running starting");

        const result = await check();

        expect(result.code, result.stderr).toBe(0);
        expect(repairs()).toEqual([]);
        expect(api.messages).toEqual([]);
    });

    it("alerts once when the backup unit failed, and once when it works again", async () => {
        sandbox.setUnitFailed("telegram-backup.service", true);
        await check();
        await check();
        expect(api.messages).toHaveLength(1);
        expect(api.messages[0]!.text).toContain("the last backup failed");
        expect(repairs()).toEqual([]);

        sandbox.setUnitFailed("telegram-backup.service", false);
        await check();
        await check();
        expect(api.messages).toHaveLength(2);
        expect(api.messages[1]!.text).toContain("unit.telegram-backup.service is healthy again");
    });

    it("repairs without alerts when no admin chat is configured", async () => {
        writeFileSync(sandbox.paths.alertEnvFile, "");
        sandbox.setService(BOT, "exited none");

        const result = await check();

        expect(result.code, result.stderr).toBe(0);
        expect(repairs()).toEqual([`${STACK} up -d ${BOT}`]);
        expect(api.messages).toEqual([]);
    });

    it("skips the check while a restore holds the maintenance lock", async () => {
        sandbox.setService(BOT, "exited none");
        const holder = await holdLock(path.join(sandbox.paths.lockDir, "maintenance.lock"));
        try {
            const result = await check();
            expect(result.code, result.stderr).toBe(0);
            expect(result.stderr).toContain("a database restore is running; skipping");
            expect(sandbox.dockerCalls()).toEqual([]);
        } finally {
            holder.release();
        }
    });

    it('sends through the stack\'s own Bot API server with apiBaseUrl "local"', async () => {
        // The "container address" of telegram-bot-api is a loopback address of its own, on 8081.
        const local = new FakeBotApi();
        await local.start("127.0.0.42", 8081);
        try {
            sandbox.setDockerFile("ip", "telegram-bot-api", "127.0.0.42");
            configureAlerts("local");
            sandbox.setService(BOT, "exited none");

            await check();

            expect(local.messages).toHaveLength(1);
            expect(local.messages[0]!.token).toBe(TOKEN);
            expect(api.messages).toEqual([]);
        } finally {
            await local.stop();
        }
    });
});

describe("health-monitor.sh watches disk, memory and OOM kills", () => {
    let sandbox: OpsSandbox;
    let api: FakeBotApi;

    beforeEach(async () => {
        sandbox = new OpsSandbox();
        api = new FakeBotApi();
        const url = await api.start();
        writeFileSync(
            sandbox.paths.alertEnvFile,
            `ALERT_BOT_TOKEN=${TOKEN}\nALERT_CHAT_ID=${CHAT}\nALERT_API_BASE_URL=${url}\n`,
            { mode: 0o600 },
        );
    });
    afterEach(async () => {
        await api.stop();
        sandbox.cleanup();
    });

    const check = async () => {
        const result = await sandbox.run(sandbox.script("health-monitor.sh"));
        expect(result.code, result.stderr).toBe(0);
        return result;
    };
    const texts = () => api.messages.map((message) => message.text);
    const FS = { sizeMb: 20_000, availMb: 12_000, inodes: 1_000_000, freeInodes: 900_000 };

    it("alerts once when free disk space falls under 10%, and once when it is back", async () => {
        sandbox.setFilesystem({ ...FS, availMb: 1_500 });
        await check();
        await check();
        expect(texts()).toEqual([
            expect.stringMatching(
                /^🔴 .*: disk: \/ has 1500 MB free of 20000 MB \(7%\) \(alert under 10%\)/,
            ),
        ]);

        sandbox.setFilesystem({ ...FS, availMb: 2_500 });
        await check();
        await check();
        expect(texts()).toHaveLength(2);
        expect(texts()[1]).toMatch(/^✅ .*: disk is healthy again/);
    });

    it("alerts when inodes run out even with space left", async () => {
        sandbox.setFilesystem({ ...FS, freeInodes: 40_000 });
        await check();
        expect(texts()).toEqual([
            expect.stringContaining("inodes: / has 40000 of 1000000 inodes free (4%)"),
        ]);
    });

    it("takes its thresholds from the stack config", async () => {
        sandbox.render({ monitor: { disk: { minFreePercent: 70, minFreeInodesPercent: 95 } } });
        await check();
        expect(texts()).toEqual([
            expect.stringContaining(
                "disk: / has 12000 MB free of 20000 MB (60%) (alert under 70%)",
            ),
            expect.stringContaining("inodes: / has 900000 of 1000000 inodes free (90%)"),
        ]);
    });

    it("alerts on memory only when it stays low for lowChecks checks in a row", async () => {
        sandbox.setMemory({ totalMb: 1_967, availableMb: 150, swapFreeMb: 1_000 });
        await check();
        const second = await check();
        expect(second.stderr).toContain("memory is low: 150 MB available (check 2 of 3");
        sandbox.setMemory({ totalMb: 1_967, availableMb: 600 });
        await check();
        sandbox.setMemory({ totalMb: 1_967, availableMb: 150, swapFreeMb: 1_000 });
        await check();
        await check();
        expect(texts()).toEqual([]);

        await check();
        await check();
        expect(texts()).toEqual([
            expect.stringContaining(
                "memory: only 150 MB of 1967 MB available for 3 checks in a row (alert under " +
                    "200 MB); swap used 1048 of 2048 MB",
            ),
        ]);
        sandbox.setMemory({ totalMb: 1_967, availableMb: 600 });
        await check();
        expect(texts()[1]).toMatch(/^✅ .*: memory is healthy again/);
    });

    it("counts a low reading against monitor.memory.minAvailableMb and lowChecks", async () => {
        sandbox.render({ monitor: { memory: { minAvailableMb: 1_000, lowChecks: 1 } } });
        await check();
        expect(texts()).toEqual([expect.stringContaining("memory: only 900 MB of 1967 MB")]);
    });

    it("alerts once per OOM kill since the last check, and not for kills before the first", async () => {
        sandbox.setOomKills(5);
        await check();
        await check();
        expect(texts()).toEqual([]);

        sandbox.setOomKills(7);
        await check();
        expect(texts()).toEqual([
            expect.stringContaining(
                "oom: the kernel killed 2 process(es) for lack of memory since the last check",
            ),
        ]);
        await check();
        expect(texts()[1]).toMatch(/^✅ .*: oom is healthy again/);

        // After a reboot the kernel counts from zero again.
        sandbox.setBootId("boot-2");
        sandbox.setOomKills(1);
        await check();
        expect(texts()[2]).toContain("the kernel killed 1 process(es)");
        expect(texts()).toHaveLength(3);
    });
});

describe("health-monitor.sh pings the heartbeat URL after each successful check", () => {
    let sandbox: OpsSandbox;
    let receiver: FakeHeartbeat;
    let url: string;
    const CHECK_ID = "0b5e7d2c-1111-4222-8333-444455556666";

    beforeEach(async () => {
        sandbox = new OpsSandbox();
        receiver = new FakeHeartbeat();
        url = `${await receiver.start()}/ping/${CHECK_ID}`;
        writeFileSync(sandbox.paths.alertEnvFile, `HEARTBEAT_URL=${url}\n`, { mode: 0o600 });
    });
    afterEach(async () => {
        await receiver.stop();
        sandbox.cleanup();
    });

    const check = () => sandbox.run(sandbox.script("health-monitor.sh"));
    const state = (name: string) => path.join(sandbox.healthState, name);

    it("pings once per successful check, and records when", async () => {
        for (let run = 0; run < 3; run++) expect((await check()).code).toBe(0);

        expect(receiver.pings).toEqual(Array(3).fill({ method: "GET", path: `/ping/${CHECK_ID}` }));
        expect(readFileSync(state("heartbeat.last-ok"), "utf8")).toMatch(/^\d{10}\n$/);
    });

    it("pings after a check that found and repaired a problem", async () => {
        sandbox.setService(BOT, "exited none");
        expect((await check()).code).toBe(0);
        expect(receiver.pings).toHaveLength(1);
    });

    it("does not ping when a repair failed, so the outside service notices", async () => {
        sandbox.setService(BOT, "exited none");
        sandbox.failDocker("up");
        expect((await check()).code).not.toBe(0);
        expect(receiver.pings).toEqual([]);
    });

    it("never fails the check when the ping fails, and records the error", async () => {
        receiver.answer = 503;
        const result = await check();

        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toContain("WARNING: the heartbeat ping failed");
        expect(readFileSync(state("heartbeat.last-error"), "utf8")).toContain("503");
        expect(existsSync(state("heartbeat.last-ok"))).toBe(false);

        receiver.answer = 200;
        expect((await check()).code).toBe(0);
        expect(existsSync(state("heartbeat.last-error"))).toBe(false);
    });

    it("gives up on a receiver that never answers, and the check still succeeds", async () => {
        receiver.answer = "hang";
        const result = await check();

        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toMatch(/heartbeat ping failed \(curl: \(28\)/);
    });

    it("keeps the URL out of the log: it is the check's secret", async () => {
        receiver.answer = 500;
        const result = await check();
        expect(result.stderr).not.toContain(CHECK_ID);
    });
});
