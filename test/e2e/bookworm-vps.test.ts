import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planProvisioning } from "../../components/plan/plan";
import { applySteps, StepFailedError } from "../vps/applier";
import { e2eConfig, provision, Provisioned, reapply } from "../vps/provision";
import { SshSession } from "../vps/ssh";
import { TestVps } from "../vps/vps";
import {
    effectiveSshd,
    expectComposeOf,
    expectFirewallActive,
    expectHardenedSsh,
    expectSshAuditClean,
    openTcpPorts,
    startTimes,
    waitForHealthyStack,
} from "./checks";
import { expectImageRemuxesEveryFixture } from "./hls-fixtures";

/**
 * The one scenario file on Debian 12 (bookworm), so that the older release stays green: sshd as
 * a classic ssh.service (the restart path the socket-activated default does not take), OpenSSH
 * 9.2, docker.io 20.10 and docker-compose v1 behind the test VPS's `docker compose` shim.
 */

const log = (line: string) => console.log(`[bookworm] ${line}`);
const services = ["postgres", "telegram-bot-api", "mpcabinet-picture-bot"];

let vps: TestVps;
let provisioned: Provisioned;

beforeAll(async () => {
    vps = await TestVps.create({ release: "bookworm", sshMode: "service", log });
    provisioned = await provision(vps, log);
});

afterAll(async () => {
    await vps?.destroy();
});

async function withSession<T>(action: (session: SshSession) => Promise<T>): Promise<T> {
    const session = await vps.session();
    try {
        return await action(session);
    } finally {
        session.close();
    }
}

describe("Debian 12: the real plan with sshd as ssh.service and compose v1", () => {
    it("applies every step and hardens sshd through ssh.service", async () => {
        const ids = (items: readonly { id: string }[]) => items.map((item) => item.id);
        expect(ids(provisioned.records)).toEqual(ids(provisioned.plan));
        await expectHardenedSsh(vps);
        await expectSshAuditClean(vps);
        await withSession(async (session) => {
            expect((await session.run("systemctl is-enabled ssh.service")).trim()).toBe("enabled");
            expect((await session.exec("systemctl is-active ssh.socket")).stdout.trim()).toBe(
                "inactive",
            );
            await expectFirewallActive(session);
        });
        expect(await openTcpPorts(vps.target.host)).toEqual([22]);
    });

    it("runs the stack healthy on docker-compose v1, with v1's container names", async () => {
        await withSession(async (session) => {
            expect(await waitForHealthyStack(session)).toEqual(
                Object.fromEntries(services.map((service) => [service, "running/healthy"])),
            );
            await expectComposeOf(vps, session, services);
        });
    });

    it("the bot image's ffmpeg, compiled from Debian 12's source as production's is, remuxes every HLS fixture", async () => {
        // Production's base (node:*-bookworm-slim) is Debian 12: its ffmpeg is 5.1, not 13's 7.1.
        await expectImageRemuxesEveryFixture(vps, provisioned.runtime.botImages[services[2]!]!);
    });

    it("applies again with every step UNCHANGED and no container restarted", async () => {
        const before = await withSession(startTimes);
        const records = await reapply(vps, provisioned.plan, log);
        expect(records.filter((record) => record.outcome !== "UNCHANGED")).toEqual([]);
        expect(await withSession(startTimes)).toEqual(before);
    });

    it("rolls an invalid sshd option back through ssh.service and keeps key login", async () => {
        const config = e2eConfig(vps, { sshd: { extraOptions: { NoSuchSshdOption: "yes" } } });
        const failure = await applySteps(
            () => vps.session(),
            planProvisioning(config, provisioned.runtime),
        ).then(
            () => undefined,
            (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(StepFailedError);
        expect((failure as StepFailedError).stepId).toBe("sshd-hardening");
        expect((failure as StepFailedError).stderr).toMatch(/rolled back/);
        await withSession(async (session) => {
            expect((await effectiveSshd(session)).passwordauthentication).toBe("no");
        });
        await expectHardenedSsh(vps);
    });
});
