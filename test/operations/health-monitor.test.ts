import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeBotApi } from "./helpers/fake-servers";
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
