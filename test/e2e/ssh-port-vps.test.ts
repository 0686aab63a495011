import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planGroups } from "../../components/plan/plan";
import { placeholderRuntime } from "../../components/plan/runtime-values";
import { Step } from "../../components/plan/step";
import { applySteps, StepFailedError } from "../vps/applier";
import { e2eConfig } from "../vps/provision";
import { attemptLogin } from "../vps/ssh";
import { TestVps } from "../vps/vps";
import {
    effectiveSshd,
    expectFirewallActive,
    expectHardenedSsh,
    expectSocketActivatedSshd,
    expectSshAuditClean,
    openTcpPorts,
} from "./checks";

/**
 * A port change with sshd started through ssh.socket (as on Ubuntu 24.04, on the default
 * release): the bootstrap steps of the real plan with sshPort 2222. sshd ignores `Port` under
 * socket activation, so this proves that the hardening moves the socket itself. The stack is
 * covered by provisioned-vps.test.ts.
 */

const log = (line: string) => console.log(`[ssh-port] ${line}`);
const newPort = 2222;
let vps: TestVps;

function bootstrapSteps(overrides: Record<string, unknown> = {}): Step[] {
    const config = e2eConfig(vps, { sshPort: newPort, ...overrides });
    return planGroups(config, placeholderRuntime(config)).bootstrap;
}

beforeAll(async () => {
    vps = await TestVps.create({ log });
});

afterAll(async () => {
    await vps?.destroy();
});

describe("an SSH port change with sshd started by ssh.socket", () => {
    it("starts like a fresh cloud server: socket-activated sshd on 22 taking the root password", async () => {
        const session = await vps.session();
        try {
            await expectSocketActivatedSshd(session, 22);
        } finally {
            session.close();
        }
        expect((await attemptLogin(vps.target, { password: vps.rootPassword })).accepted).toBe(
            true,
        );
    });

    it("moves sshd to the new port in the first apply: socket, sshd -T, firewall, audit", async () => {
        // As an operator who moves sshd first (README, "SSH port"): the steps up to the sshd
        // hardening connect to the old port, the rest (UFW comes next) to the new one.
        const steps = bootstrapSteps();
        const split = steps.findIndex((step) => step.id === "sshd-hardening") + 1;
        const report = (record: { id: string; outcome: string }) =>
            log(`${record.id.padEnd(30)} ${record.outcome}`);
        const before = await applySteps(() => vps.session(22), steps.slice(0, split), report);
        expect(before.at(-1)).toMatchObject({ id: "sshd-hardening", outcome: "CHANGED" });
        await applySteps(() => vps.session(newPort), steps.slice(split), report);

        await expectHardenedSsh(vps, newPort);
        const session = await vps.session(newPort);
        try {
            await expectSocketActivatedSshd(session, newPort);
            await expectFirewallActive(session, newPort);
        } finally {
            session.close();
        }
        expect(await openTcpPorts(vps.target.host)).toEqual([newPort]);
        await expectSshAuditClean(vps, newPort);
    });

    it("rolls an invalid sshd option back and keeps the new port", async () => {
        const steps = bootstrapSteps({ sshd: { extraOptions: { NoSuchSshdOption: "yes" } } });
        const failure = await applySteps(() => vps.session(newPort), steps).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(failure).toBeInstanceOf(StepFailedError);
        expect((failure as StepFailedError).stepId).toBe("sshd-hardening");
        expect((failure as StepFailedError).stderr).toMatch(/NoSuchSshdOption/);
        expect((failure as StepFailedError).stderr).toMatch(/rolled back/);
        const session = await vps.session(newPort);
        try {
            expect((await effectiveSshd(session)).passwordauthentication).toBe("no");
            expect(
                await session.run("grep -c NoSuchSshdOption /etc/ssh/sshd_config.d/*.conf || true"),
            ).not.toMatch(/:[1-9]/);
            await expectSocketActivatedSshd(session, newPort);
        } finally {
            session.close();
        }
        await expectHardenedSsh(vps, newPort);
    });
});
