import { describe, expect, it } from "vitest";
import {
    monitorEnv,
    operationsOutputs,
    planOperations,
} from "../../../components/plan/operations-plan";
import { BOT, operationsInput } from "../../operations/helpers/sandbox";

const S3 = { endpoint: "https://x.test", bucket: "b-1" };

describe("operations plan inputs and outputs", () => {
    it("sends alerts as the named bot, and refuses a bot that does not exist", () => {
        const input = operationsInput("/opt/x", { monitor: { alerts: { chatId: 5, bot: BOT } } });
        expect(monitorEnv(input, { [BOT]: "1:token" })).toBe(
            "ALERT_BOT_TOKEN=1:token\nALERT_CHAT_ID=5\nALERT_API_BASE_URL=local\n",
        );
        const wrong = operationsInput("/x", { monitor: { alerts: { chatId: 5, bot: "other" } } });
        expect(() => monitorEnv(wrong, { [BOT]: "1:token" })).toThrow(
            /"other", which is not one of the bots \(mpcabinet-picture-bot\)/,
        );
        expect(() => monitorEnv(input, {})).toThrow(/no token for bot mpcabinet-picture-bot/);
    });

    it("puts the heartbeat URL in the same root-only file, with or without alerts", () => {
        const url = "https://ping.test/2f1c6a3e-0000-4000-8000-000000000001";
        const alone = operationsInput("/opt/x", { monitor: { heartbeatUrl: url } });
        expect(monitorEnv(alone, {})).toBe(`HEARTBEAT_URL=${url}\n`);
        const both = operationsInput("/opt/x", {
            monitor: { heartbeatUrl: url, alerts: { chatId: 5 } },
        });
        expect(monitorEnv(both, { [BOT]: "1:token" })).toBe(
            "ALERT_BOT_TOKEN=1:token\nALERT_CHAT_ID=5\nALERT_API_BASE_URL=local\n" +
                `HEARTBEAT_URL=${url}\n`,
        );
        expect(monitorEnv(operationsInput("/opt/x"), {})).toBeUndefined();
        // The URL is a capability: it goes only into the secret step's stdin.
        const steps = planOperations(alone, { botTokens: {} });
        expect(steps[0]!.secret).toBe(true);
        expect(JSON.stringify(steps[1])).not.toContain("2f1c6a3e");
    });

    it("refuses an off-site bucket without keys instead of silently skipping the copy", () => {
        const input = operationsInput("/opt/x", { backups: { s3: S3 } });
        expect(() => planOperations(input, { botTokens: {} })).toThrow(
            /backups.s3 is set but its keys are missing/,
        );
    });

    it("reruns a step when its config changes, and only then", () => {
        const triggers = (raw: unknown) =>
            planOperations(operationsInput("/opt/x", raw), { botTokens: { [BOT]: "1:t" } }).map(
                (step) => step.trigger,
            );
        expect(triggers({})).toEqual(triggers({}));
        expect(triggers({ backups: { time: "04:00" } })[1]).not.toBe(triggers({})[1]);
        expect(triggers({ monitor: { alerts: { chatId: 1 } } })[0]).not.toBe(triggers({})[0]);
    });

    it("shows the schedule, folder and interval as stack outputs", () => {
        expect(operationsOutputs(operationsInput("/opt/telegram-ecosystem"))).toEqual({
            backupSchedule:
                "daily at 03:00 Europe/Moscow (OnCalendar=*-*-* 03:00:00 Europe/Moscow)",
            backupFolder: "/opt/telegram-ecosystem/backups",
            backupRetentionDays: 7,
            backupOffsite: "off",
            monitorInterval: "every 300 s",
            monitorAlerts: "off",
            monitorHeartbeat: "off",
        });
    });
});
