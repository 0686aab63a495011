import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BOT, OpsSandbox } from "./helpers/sandbox";

/** The `services` line of the checklist, e.g. "FAIL  services  not healthy: ...". */
function servicesLine(stdout: string): string {
    return stdout.split("\n").find((line) => /^(PASS|FAIL) +services /.test(line)) ?? "";
}

// The other items read the real host (ufw, sshd, timers): only the services item is asserted here.
describe("production-check.sh, services item, with a fake Compose v2 docker", () => {
    let sandbox: OpsSandbox;

    beforeEach(() => {
        sandbox = new OpsSandbox();
    });
    afterEach(() => sandbox.cleanup());

    const check = () => sandbox.run(sandbox.script("production-check.sh"));

    it("passes when every service runs healthy", async () => {
        const result = await check();
        expect(servicesLine(result.stdout), result.stderr).toMatch(
            /^PASS +services +3 services running/,
        );
    });

    it("reports a stopped container as exited, not missing (v2's `ps -q` lists running ones only)", async () => {
        sandbox.setService(BOT, "exited none");
        const line = servicesLine((await check()).stdout);
        expect(line).toMatch(/^FAIL +services +not healthy:/);
        expect(line).toContain(`${BOT}:exited`);
        expect(line).not.toContain(`${BOT}:missing`);
    });

    it("reports a service without any container as missing", async () => {
        sandbox.setService(BOT, "absent");
        expect(servicesLine((await check()).stdout)).toContain(`${BOT}:missing`);
    });
});
