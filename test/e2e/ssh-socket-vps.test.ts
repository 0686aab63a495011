import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planGroups } from "../../components/plan/plan";
import { placeholderRuntime } from "../../components/plan/runtime-values";
import { Step } from "../../components/plan/step";
import { applySteps, StepFailedError } from "../vps/applier";
import { e2eConfig } from "../vps/provision";
import { attemptLogin } from "../vps/ssh";
import { TestVps } from "../vps/vps";
import { effectiveSshd, expectFirewallActive, expectHardenedSsh, expectSshAuditClean } from "./checks";

/**
 * The ssh scenarios on a VPS whose sshd is started through ssh.socket (as on Ubuntu 24.04):
 * the bootstrap steps of the real plan only (the stack is covered by provisioned-vps.test.ts).
 */

const log = (line: string) => console.log(`[socket-vps] ${line}`);
let vps: TestVps;

function bootstrapSteps(overrides: Record<string, unknown> = {}): Step[] {
    const config = e2eConfig(vps, overrides);
    return planGroups(config, placeholderRuntime(config)).bootstrap;
}

beforeAll(async () => {
    vps = await TestVps.create({ sshMode: "socket", log });
});

afterAll(async () => {
    await vps?.destroy();
});

describe("ssh scenarios with sshd started by ssh.socket", () => {
    it("starts like a fresh cloud server: socket-activated sshd taking the root password", async () => {
        const session = await vps.session();
        try {
            expect((await session.exec("systemctl is-active ssh.socket")).stdout.trim()).toBe("active");
            expect((await session.exec("systemctl is-enabled ssh.service")).stdout.trim()).toBe("disabled");
        } finally {
            session.close();
        }
        expect((await attemptLogin(vps.target, { password: vps.rootPassword })).accepted).toBe(true);
    });

    it("hardens sshd with the bootstrap steps: key only, sshd -T, ssh-audit, firewall", async () => {
        const records = await applySteps(() => vps.session(), bootstrapSteps(), (record) =>
            log(`${record.id.padEnd(30)} ${record.outcome}`));
        expect(records.find((record) => record.id === "sshd-hardening")?.outcome).toBe("CHANGED");
        await expectHardenedSsh(vps);
        await expectSshAuditClean(vps);
        const session = await vps.session();
        try {
            await expectFirewallActive(session);
        } finally {
            session.close();
        }
    });

    it("rolls an invalid sshd option back and keeps key login", async () => {
        const steps = bootstrapSteps({ sshd: { extraOptions: { NoSuchSshdOption: "yes" } } });
        const failure = await applySteps(() => vps.session(), steps).then(() => undefined, (e: unknown) => e);
        expect(failure).toBeInstanceOf(StepFailedError);
        expect((failure as StepFailedError).stepId).toBe("sshd-hardening");
        expect((failure as StepFailedError).stderr).toMatch(/NoSuchSshdOption/);
        const session = await vps.session();
        try {
            expect((await effectiveSshd(session)).passwordauthentication).toBe("no");
            expect(await session.run("grep -c NoSuchSshdOption /etc/ssh/sshd_config.d/*.conf || true"))
                .not.toMatch(/:[1-9]/);
        } finally {
            session.close();
        }
        await expectHardenedSsh(vps);
    });
});
