import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackConfig } from "../../components/config/config";
import { planProvisioning, type RuntimeValues } from "../../components/plan/plan";
import { changedSteps } from "../../components/plan/plan-changes";
import type { Step } from "../../components/plan/step";
import { fingerprint, parseHostKeyLine } from "../../scripts/lib/host-key";
import { runCli, type CliResult } from "../day2/helpers/fake-tools";
import { fakePublicKey } from "../helpers/stack-fixtures";
import { applySteps, StepFailedError, type StepRecord } from "../vps/applier";
import { localImages } from "../vps/images";
import { e2eConfig, provision, type ConfigOverrides } from "../vps/provision";
import { attemptLogin, SshSession, waitForSsh } from "../vps/ssh";
import { TestVps } from "../vps/vps";
import { psql, recreatesDependents, stackDir, startTimes, waitForHealthyStack } from "./checks";

/**
 * Day 2 on one provisioned test VPS (two bots): host-key pinning and the ops CLI against the
 * real stack, then every secret rotation. A rotation re-plans with the new values and applies
 * exactly the steps whose trigger changed (changedSteps: what `pulumi up` replaces), then checks
 * what was rewritten and which containers were recreated. The SSH key rotation comes last: it
 * retires the key TestVps.session() logs in with.
 */

const log = (line: string) => console.log(`[rotation] ${line}`);
const BOT = "mpcabinet-picture-bot";
const SECOND = "second-bot";
const BOTS = [
    { name: BOT, schema: "mpcabinet" },
    { name: SECOND, schema: "second_bot" },
];
const SERVICES = ["postgres", "telegram-bot-api", BOT, SECOND];
const hex = (bytes = 12) => randomBytes(bytes).toString("hex");

let vps: TestVps | undefined;
let work: string;
/** What the host was last applied with, and the key the applier logs in with. */
let current: {
    config: StackConfig;
    overrides: ConfigOverrides;
    runtime: RuntimeValues;
    plan: Step[];
    privateKey: string;
};

const connect =
    (privateKey = current.privateKey) =>
    () =>
        waitForSsh(vps!.target, { privateKey }, 20_000);

async function withSession<T>(action: (session: SshSession) => Promise<T>): Promise<T> {
    const session = await connect()();
    try {
        return await action(session);
    } finally {
        session.close();
    }
}

const report = (record: StepRecord) => {
    const seconds = (record.durationMs / 1000).toFixed(1);
    log(`${record.id.padEnd(34)} ${record.outcome.padEnd(9)} ${seconds} s`);
};

/** Applies what a `pulumi up` with the new values would run; returns the ids and outcomes. */
async function rotate(overrides: ConfigOverrides, runtime: RuntimeValues) {
    const config = e2eConfig(vps!, { bots: BOTS, ...overrides });
    const plan = planProvisioning(config, runtime);
    const steps = changedSteps(current.plan, plan);
    const records = await applySteps(connect(), steps, report);
    current = { ...current, config, overrides, runtime, plan };
    return records.map((record) => `${record.id} ${record.outcome}`);
}

/** Container id + start time per service, and sha256 per file in env/. */
async function snapshot() {
    return withSession(async (session) => {
        const containers = await startTimes(session);
        const sums = await session.run(`cd ${stackDir}/env && sha256sum -- *`);
        const files: Record<string, string> = {};
        for (const line of sums.trim().split("\n")) {
            const [sum, name] = line.split(/\s+/);
            files[name as string] = sum as string;
        }
        return { containers, files };
    });
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

function changedKeys(before: Record<string, string>, after: Record<string, string>): string[] {
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    return Object.keys(after)
        .filter((key) => after[key] !== before[key])
        .sort();
}

const recreated = (before: Snapshot, after: Snapshot) =>
    changedKeys(before.containers, after.containers);
const rewritten = (before: Snapshot, after: Snapshot) => changedKeys(before.files, after.files);

async function expectHealthy(): Promise<void> {
    const states = await withSession((session) => waitForHealthyStack(session));
    expect(states).toEqual(Object.fromEntries(SERVICES.map((s) => [s, "running/healthy"])));
}

/** Runs a command in a service's container; the stdin carries anything secret. */
async function composeExec(service: string, command: string, stdin = "") {
    return withSession((session) =>
        session.exec(`cd ${stackDir} && docker compose exec -T ${service} ${command}`, { stdin }),
    );
}

/** A password login over TCP inside the compose network (postgres -> postgres:5432). */
function tcpLogin(password: string) {
    return composeExec(
        "postgres",
        `sh -c 'IFS= read -r PGPASSWORD; export PGPASSWORD; exec psql -w -h postgres -p 5432 ` +
            `-U "$POSTGRES_USER" -d "$POSTGRES_DB" -At -c "SELECT current_user"'`,
        `${password}\n`,
    );
}

/** The bot connects with its own DATABASE_URL, through its own pg driver. */
function botDatabaseLogin(bot: string) {
    const script =
        "const pg = require('pg');" +
        "const c = new pg.Client({ connectionString: process.env.DATABASE_URL });" +
        "c.connect().then(() => c.query('SELECT current_user AS u'))" +
        ".then((r) => { console.log(r.rows[0].u); return c.end(); })" +
        ".catch((e) => { console.error(e.message); process.exit(1); });";
    return composeExec(bot, `node -e "${script}"`);
}

beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "rotation-e2e-"));
    vps = await TestVps.create({ log });
    const provisioned = await provision(vps, log, { bots: BOTS });
    current = {
        config: provisioned.config,
        overrides: {},
        runtime: provisioned.runtime,
        plan: [...provisioned.plan],
        privateKey: vps.privateKey,
    };
    await expectHealthy();
});

afterAll(async () => {
    await vps?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
});

describe("host-key pinning and the ops CLI against the provisioned stack", () => {
    const project = () => join(work, "project");
    const home = () => join(work, "home");

    function writeProject(dir: string, hostKey: string): void {
        mkdirSync(dir, { recursive: true });
        const values = { host: vps!.target.host, sshUser: "root", hostKey, stackDir };
        const lines = Object.entries(values).map(
            ([key, value]) => `  telegram-ecosystem:${key}: ${JSON.stringify(value)}`,
        );
        writeFileSync(join(dir, "Pulumi.e2e.yaml"), `config:\n${lines.join("\n")}\n`);
    }

    function ops(args: readonly string[], options: { input?: string; cwd?: string } = {}) {
        const identity = join(vps!.runDir, "id_ed25519");
        return runCli("scripts/ops/main.ts", ["--identity", identity, ...args], {
            cwd: options.cwd ?? project(),
            // No pulumi on PATH and no key in HOME: only the stack config and --identity count.
            env: { PATH: "/usr/bin:/bin", HOME: home() },
            input: options.input,
        });
    }

    const expectOk = (result: CliResult) => expect(result.code, result.stderr).toBe(0);

    beforeAll(() => {
        mkdirSync(home(), { recursive: true });
        writeProject(project(), current.config.hostKey as string);
    });

    it("trust-host prints the VPS's real ed25519 fingerprint and the pin command", async () => {
        const onHost = await withSession((session) =>
            session.run("ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub"),
        );
        const real = onHost.split(" ")[1] as string;
        const env = { PATH: "/usr/bin:/bin", HOME: home() };
        const host = vps!.target.host;
        const result = await runCli("scripts/trust-host.ts", [host, "--fingerprint", real], {
            cwd: work,
            env,
        });
        expectOk(result);
        expect(result.stdout).toContain(`fingerprint: ${real}`);
        expect(result.stdout).toContain(`pulumi config set hostKey '${current.config.hostKey}'`);
        const wrong = await runCli(
            "scripts/trust-host.ts",
            [host, "--fingerprint", `SHA256:${"A".repeat(43)}`],
            { cwd: work, env },
        );
        expect(wrong.code).toBe(1);
        expect(wrong.stderr).toContain("nothing was pinned");
    });

    it("refuses a wrong pinned host key before logging in, saying what to check", async () => {
        const dir = join(work, "wrong-key-project");
        const wrongKey = fakePublicKey("not-the-vps").split(" ").slice(0, 2).join(" ");
        writeProject(dir, wrongKey);
        const result = await ops(["exec", "postgres", "touch", "/tmp/ran-with-a-wrong-host-key"], {
            cwd: dir,
        });
        expect(result.code).toBe(1);
        const real = parseHostKeyLine(current.config.hostKey as string);
        expect(result.stderr).toContain(`host key mismatch for ${vps!.target.host}`);
        const pinned = fingerprint(parseHostKeyLine(wrongKey));
        expect(result.stderr).toContain(`expected ssh-ed25519 ${pinned}`);
        expect(result.stderr).toContain(`presented ssh-ed25519 ${fingerprint(real)}`);
        expect(result.stderr).toContain("Timeweb console");
        const ran = await composeExec("postgres", "test -e /tmp/ran-with-a-wrong-host-key");
        expect(ran.code, "the command must not have run").not.toBe(0);
    });

    it("status lists every service healthy, with disk and memory", async () => {
        const result = await ops(["status"]);
        expectOk(result);
        for (const service of SERVICES) {
            // Compose v2 names containers <project>-<service>-1; docker-compose v1 (a Debian 12
            // VPS, TEST_VPS_RELEASE=bookworm) <project>_<service>_1.
            const line = result.stdout
                .split("\n")
                .find((l) => l.includes(`_${service}_1`) || l.includes(`-${service}-1`));
            expect(line, `${service} in:\n${result.stdout}`).toMatch(/Up.*\(healthy\)/);
        }
        expect(result.stdout).toMatch(/== disk\n.*Filesystem/);
        expect(result.stdout).toMatch(/== memory\n.*total/);
    });

    it("logs shows a log; exec runs in a container; failures exit non-zero", async () => {
        const logs = await ops(["logs", "postgres", "--tail", "all"]);
        expectOk(logs);
        expect(logs.stdout).toContain("database system is ready to accept connections");
        const exec = await ops(["exec", SECOND, "printenv", "DB_SCHEMA"]);
        expectOk(exec);
        expect(exec.stdout.trim()).toBe("second_bot");
        const missing = await ops(["exec", "no-such-service", "true"]);
        expect(missing.code).not.toBe(0);
        expect((await ops(["logs", "--tail", "many"])).code).toBe(2);
    });

    it("psql runs SQL from stdin against the stack's database", async () => {
        const result = await ops(["psql", "-At"], {
            input:
                "SELECT 40 + 2;\n" +
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'second_bot';\n",
        });
        expectOk(result);
        expect(result.stdout.trim().split("\n")).toEqual(["42", "1"]);
        const failing = await ops(["psql"], { input: "SELECT * FROM no_such_table;\n" });
        expect(failing.code).not.toBe(0);
        expect(failing.stderr).toContain("no_such_table");
    });
});

describe("secret rotation", () => {
    it("a bot token: only that bot's env file and container change", async () => {
        const before = await snapshot();
        const token = `100000001:e2e-rotated-token-${hex()}`;
        const runtime = {
            ...current.runtime,
            botTokens: { ...current.runtime.botTokens, [BOT]: token },
        };
        expect(await rotate(current.overrides, runtime)).toEqual([
            `stack-env-${BOT} CHANGED`,
            "stack-up CHANGED",
        ]);
        await expectHealthy();
        const after = await snapshot();
        expect(rewritten(before, after)).toEqual([`${BOT}.env`]);
        expect(recreated(before, after)).toEqual([BOT]);
        const seen = await composeExec(BOT, "printenv BOT_TOKEN");
        expect(seen.stdout.trim() === token, "the bot runs with the new token").toBe(true);
    });

    it("the Postgres password: ALTER ROLE first, bots recreated and connected", async () => {
        await withSession((session) =>
            psql(
                session,
                "CREATE TABLE mpcabinet.rotation_probe (id INT PRIMARY KEY, note TEXT);" +
                    "INSERT INTO mpcabinet.rotation_probe VALUES (1, 'written before the rotation');",
            ),
        );
        const before = await snapshot();
        const oldPassword = current.runtime.postgresPassword;
        const newPassword = `e2e${hex(18)}`;
        expect((await tcpLogin(oldPassword)).code, "baseline: the old password works").toBe(0);

        const runtime = { ...current.runtime, postgresPassword: newPassword };
        const records = await rotate(current.overrides, runtime);
        // In run order: the role's password changes before any client's DATABASE_URL does.
        expect(records).toEqual([
            "stack-env-postgres-password CHANGED",
            "stack-postgres-password CHANGED",
            `stack-env-${BOT} CHANGED`,
            `stack-env-${SECOND} CHANGED`,
            "stack-up CHANGED",
        ]);
        await expectHealthy();
        const after = await snapshot();
        const files = [`${BOT}.env`, "postgres-password", `${SECOND}.env`];
        expect(rewritten(before, after)).toEqual(files.sort());
        expect(recreated(before, after)).toEqual([BOT, SECOND].sort());

        const fresh = await tcpLogin(newPassword);
        expect(fresh.code, fresh.stderr).toBe(0);
        expect(fresh.stdout.trim()).toBe(current.config.postgres.user);
        const stale = await tcpLogin(oldPassword);
        expect(stale.code).not.toBe(0);
        expect(stale.stderr).toContain("password authentication failed");
        for (const bot of [BOT, SECOND]) {
            const login = await botDatabaseLogin(bot);
            expect(login.code, `${bot}: ${login.stderr}`).toBe(0);
            expect(login.stdout.trim()).toBe(current.config.postgres.user);
        }
        const kept = await withSession((session) =>
            psql(session, "SELECT note FROM mpcabinet.rotation_probe WHERE id = 1;"),
        );
        expect(kept.trim()).toBe("written before the rotation");
    });

    it("the Telegram API id and hash: telegram-bot-api is recreated (and, on old Compose v2, the bots)", async () => {
        const before = await snapshot();
        const overrides = { botApi: { image: localImages.fakeBotApi, apiId: 1000002 } };
        const hash = `e2erotatedapihash${hex()}`;
        expect(await rotate(overrides, { ...current.runtime, botApiHash: hash })).toEqual([
            "stack-env-telegram-bot-api CHANGED",
            "stack-up CHANGED",
        ]);
        await expectHealthy();
        const after = await snapshot();
        expect(rewritten(before, after)).toEqual(["telegram-bot-api.env"]);
        const compose = await withSession((session) =>
            session.run("docker compose version --short"),
        );
        // The bots depend on telegram-bot-api (depends_on), which older Compose v2 acts on.
        const dependents = recreatesDependents(compose) ? [BOT, SECOND] : [];
        expect(recreated(before, after)).toEqual(["telegram-bot-api", ...dependents].sort());
        const env = await composeExec(
            "telegram-bot-api",
            "printenv TELEGRAM_API_ID TELEGRAM_API_HASH",
        );
        expect(env.stdout.trim().split("\n")).toEqual(["1000002", hash]);
    });
});

describe("operator SSH key rotation (two steps, no lock-out)", () => {
    const oldPrivate = () => vps!.privateKey;
    let newPrivate: string;
    let oldPublic: string;
    let newPublic: string;
    const accepts = async (privateKey: string) =>
        (await attemptLogin(vps!.target, { privateKey })).accepted;

    beforeAll(() => {
        const path = join(work, "id_ed25519_new");
        const comment = "e2e-rotated-operator";
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path]);
        newPrivate = readFileSync(path, "utf8");
        newPublic = readFileSync(`${path}.pub`, "utf8").trim();
        oldPublic = current.config.operatorKeys[0] as string;
    });

    it("step 1: adding the new key runs only operator-keys; both keys log in", async () => {
        const operatorKeys = [oldPublic, newPublic];
        const records = await rotate({ ...current.overrides, operatorKeys }, current.runtime);
        expect(records).toEqual(["operator-keys CHANGED"]);
        expect(await accepts(oldPrivate())).toBe(true);
        expect(await accepts(newPrivate)).toBe(true);
    });

    it("step 3 before step 2 is refused: the connection still uses the old key", async () => {
        const overrides = { bots: BOTS, ...current.overrides, operatorKeys: [newPublic] };
        const config = e2eConfig(vps!, overrides);
        const steps = changedSteps(current.plan, planProvisioning(config, current.runtime));
        expect(steps.map((step) => step.id)).toEqual(["operator-keys"]);
        const failure = await applySteps(connect(oldPrivate()), steps).then(
            () => undefined,
            (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(StepFailedError);
        const stderr = (failure as StepFailedError).stderr;
        expect(stderr).toContain("this very connection logged in with it");
        expect(await accepts(oldPrivate())).toBe(true);
        expect(await accepts(newPrivate)).toBe(true);
    });

    it("step 2 + 3: connecting with the new key, removing the old one locks it out", async () => {
        current = { ...current, privateKey: newPrivate };
        const overrides = { ...current.overrides, operatorKeys: [newPublic] };
        const records = await rotate(overrides, current.runtime);
        expect(records).toEqual(["operator-keys CHANGED"]);
        expect(await accepts(oldPrivate())).toBe(false);
        expect(await accepts(newPrivate)).toBe(true);
        const keys = await withSession((session) => session.run("cat /root/.ssh/authorized_keys"));
        expect(keys).not.toContain(oldPublic.split(" ")[1]);
        expect(keys).toContain(newPublic.split(" ")[1]);
    });

    it("after all rotations a full apply of the final plan changes nothing", async () => {
        const before = await snapshot();
        const records = await applySteps(connect(), current.plan, report);
        expect(records.filter((r) => r.outcome !== "UNCHANGED").map((r) => r.id)).toEqual([]);
        expect((await snapshot()).containers).toEqual(before.containers);
    });
});
