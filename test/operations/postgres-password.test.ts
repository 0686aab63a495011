import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { planProvisioning } from "../../components/plan/plan";
import { parseOutcome, type Step } from "../../components/plan/step";
import { freePort } from "../helpers/loopback-port";
import { runtimeFor, stackConfig } from "../helpers/stack-fixtures";
import { TestPostgres } from "./helpers/postgres";
import { OpsSandbox } from "./helpers/sandbox";
import { DB } from "./helpers/seed";

const USER = "telegram_admin";

/**
 * The password step of the stack (templates/scripts/set-postgres-password.sh), run as rendered
 * by the plan. The fake docker routes `compose exec -T postgres psql` to a real cluster over its
 * trusted socket; logins are then tried over TCP, where the cluster wants the password.
 */
describe("stack-postgres-password against a real Postgres behind a fake docker", () => {
    let pg: TestPostgres;
    let sandbox: OpsSandbox;

    beforeAll(async () => {
        pg = new TestPostgres(USER, { tcpPort: await freePort() });
        pg.start();
        pg.sql("postgres", `CREATE DATABASE ${DB}`);
    });
    afterAll(() => pg?.stop());
    beforeEach(() => {
        sandbox = new OpsSandbox();
        Object.assign(sandbox.extraEnv, pg.fakeDockerEnv());
        mkdirSync(path.join(sandbox.stackDir, "env"), { mode: 0o700, recursive: true });
        // The password the volume was initialised with (POSTGRES_PASSWORD_FILE on first start).
        pg.sql(DB, `ALTER ROLE ${USER} WITH PASSWORD 'InitialPassword0'`);
    });
    afterEach(() => sandbox.cleanup());

    /** The plan's password step for this sandbox's stack dir, with the given runtime variant. */
    function passwordStep(variant: string): { step: Step; password: string } {
        const config = stackConfig({ stackDir: sandbox.stackDir });
        const runtime = runtimeFor(config, variant);
        const step = planProvisioning(config, runtime).find(
            (candidate) => candidate.id === "stack-postgres-password",
        );
        if (!step) throw new Error("the plan has no stack-postgres-password step");
        return { step, password: runtime.postgresPassword };
    }

    async function apply(step: Step) {
        const result = await sandbox.run("bash", ["-c", step.script], step.stdin);
        expect(result.code, result.stderr).toBe(0);
        return { ...result, outcome: parseOutcome(result.stdout) };
    }

    it("sets the new password (it logs in, the old one no longer does), then is UNCHANGED", async () => {
        const { step, password } = passwordStep("a");
        expect(step.secret).toBe(true);
        expect(pg.passwordLogsIn(DB, "InitialPassword0")).toBe(true);
        expect(pg.passwordLogsIn(DB, password)).toBe(false);

        const first = await apply(step);

        expect(first.outcome).toBe("CHANGED");
        expect(pg.passwordLogsIn(DB, password)).toBe(true);
        expect(pg.passwordLogsIn(DB, "InitialPassword0")).toBe(false);

        sandbox.clearCalls();
        const second = await apply(step);

        expect(second.outcome).toBe("UNCHANGED");
        expect(sandbox.dockerCalls()).toEqual([]);
        expect(pg.passwordLogsIn(DB, password)).toBe(true);
    });

    it("rotates to the next password: only the newest one logs in", async () => {
        const before = passwordStep("a");
        const after = passwordStep("b");
        expect(after.password).not.toBe(before.password);
        await apply(before.step);

        const rotated = await apply(after.step);

        expect(rotated.outcome).toBe("CHANGED");
        expect(pg.passwordLogsIn(DB, after.password)).toBe(true);
        expect(pg.passwordLogsIn(DB, before.password)).toBe(false);
    });

    it("never shows the password: not in its output, not on any docker command line", async () => {
        const { step, password } = passwordStep("a");
        expect(step.script).not.toContain(password);

        const result = await apply(step);

        expect(result.stdout + result.stderr).not.toContain(password);
        expect(sandbox.dockerCalls().join("\n")).not.toContain(password);
        const psql = `psql -v ON_ERROR_STOP=1 -q -U ${USER} -d ${DB}`;
        expect(sandbox.dockerCalls()).toEqual([
            `compose -p telegram-ecosystem exec -T postgres ${psql}`,
        ]);
    });
});
