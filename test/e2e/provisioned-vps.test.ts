import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planProvisioning } from "../../components/plan/plan";
import { changedSteps } from "../../components/plan/plan-changes";
import { applySteps, StepFailedError } from "../vps/applier";
import { e2eConfig, provision, Provisioned, reapply } from "../vps/provision";
import { attemptLogin, SshSession } from "../vps/ssh";
import { localImages } from "../vps/images";
import { shareMount } from "../vps/mounts";
import { TestVps } from "../vps/vps";
import {
    effectiveSshd,
    expectComposeOf,
    expectFirewallActive,
    expectHardenedSsh,
    expectSocketActivatedSshd,
    expectSshAuditClean,
    openTcpPorts,
    psql,
    stackDir,
    startTimes,
    waitForHealthyStack,
} from "./checks";
import { expectImageRemuxesEveryFixture } from "./hls-fixtures";

/**
 * The six scenarios of the test VPS, in order, on one VPS as close to Ubuntu 24.04 as the
 * mirror allows: Debian 13 (unless TEST_VPS_RELEASE says otherwise), sshd started by ssh.socket,
 * Docker with Compose v2 and buildx from the distribution. A fresh cloud server, provisioned with
 * the real plan (components/plan/plan.ts) over SSH.
 */

const log = (line: string) => console.log(`[vps] ${line}`);
const lynisTarget = 80;

let vps: TestVps;
let provisioned: Provisioned;

beforeAll(async () => {
    vps = await TestVps.create({ log });
    // Baseline: the fresh server takes the root password, so the refusal checks below can fail.
    const fresh = await attemptLogin(vps.target, { password: vps.rootPassword });
    expect(fresh.accepted, "a fresh test VPS must accept the root password").toBe(true);
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

describe("1. fresh host, first apply", () => {
    it("applied every step of the plan", () => {
        expect(provisioned.records.map((record) => record.id)).toEqual(
            provisioned.plan.map((step) => step.id),
        );
    });

    it("allows root key login only; sshd -T shows the hardened values over 50-cloud-init", async () => {
        await expectHardenedSsh(vps);
        await withSession(async (session) => {
            expect(await session.run("cat /etc/ssh/sshd_config.d/50-cloud-init.conf")).toMatch(
                /^PasswordAuthentication yes$/m,
            );
        });
    });

    it("keeps sshd socket-activated, as Ubuntu 24.04 runs it", async () => {
        await withSession((session) => expectSocketActivatedSshd(session));
    });

    it("ssh-audit reports no [fail] line and passes the project policy", async () => {
        await expectSshAuditClean(vps);
    });

    it("has only TCP port 22 open (full scan from outside) while the stack runs", async () => {
        await withSession(async (session) => {
            expect(Object.values(await waitForHealthyStack(session))).not.toContain("missing");
        });
        expect(await openTcpPorts(vps.target.host)).toEqual([22]);
    });

    it("has UFW active with default deny incoming", async () => {
        await withSession(expectFirewallActive);
    });

    it("runs unattended-upgrades daily and its dry run succeeds", async () => {
        await withSession(async (session) => {
            const config = await session.run("apt-config dump APT::Periodic");
            expect(config).toMatch(/^APT::Periodic::Unattended-Upgrade "1";$/m);
            expect(config).toMatch(/^APT::Periodic::Update-Package-Lists "1";$/m);
            const dryRun = await session.exec("unattended-upgrade --dry-run", {
                timeoutMs: 180_000,
            });
            expect(dryRun.code, dryRun.stderr).toBe(0);
        });
    });

    it("rotates container logs (json-file, 10m x 3)", async () => {
        await withSession(async (session) => {
            expect((await session.run("docker info -f '{{.LoggingDriver}}'")).trim()).toBe(
                "json-file",
            );
            const ids = (await session.run(`cd ${stackDir} && docker compose ps -q`))
                .trim()
                .split("\n");
            expect(ids.length).toBe(3);
            for (const id of ids) {
                const logConfig = await session.run(
                    `docker inspect -f '{{json .HostConfig.LogConfig}}' ${id}`,
                );
                expect(JSON.parse(logConfig)).toEqual({
                    Type: "json-file",
                    Config: { "max-size": "10m", "max-file": "3" },
                });
            }
        });
    });

    it("has every compose service healthy", async () => {
        await withSession(async (session) => {
            expect(await waitForHealthyStack(session)).toEqual({
                postgres: "running/healthy",
                "telegram-bot-api": "running/healthy",
                "mpcabinet-picture-bot": "running/healthy",
            });
        });
    });

    it("runs the stack on the release's compose, naming containers as that compose does", async () => {
        await withSession((session) =>
            expectComposeOf(vps, session, [
                "postgres",
                "telegram-bot-api",
                "mpcabinet-picture-bot",
            ]),
        );
    });

    it("runs a bot image built with BuildKit on a test VPS of this run; the pruning kept its base", async () => {
        const { botImageBytes, baseImageBytes, durationsMs } = provisioned.images;
        const seconds = (ms: number) => (ms / 1000).toFixed(0);
        const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
        const allImagesMs = Object.values(durationsMs).reduce((sum, ms) => sum + ms, 0);
        await withSession(async (session) => {
            // Built on this cold VPS, or loaded from the run's archive (bot-image-cache.ts).
            const [how, botMs] = Object.entries(durationsMs).find(([name]) =>
                name.startsWith("bot "),
            ) ?? ["bot", 0];
            log(
                `bot image: ${mib(botImageBytes)} MiB (its base ${mib(baseImageBytes)} MiB), ${how} ` +
                    `in ${seconds(botMs)} s (all local images ${seconds(allImagesMs)} s)`,
            );
            const image = provisioned.runtime.botImages["mpcabinet-picture-bot"];
            // BuildKit marks every layer it creates; the classic builder leaves the comment empty.
            const comments = (await session.run(`docker history --format '{{.Comment}}' ${image}`))
                .trim()
                .split("\n");
            expect(comments[0]).toBe("buildkit.dockerfile.v0");
            // BuildKit records no parent: the deploy's image pruning keeps the base only because
            // the plan names it (from the Dockerfile), so the next build need not pull it again.
            expect(provisioned.runtime.botBaseImages).toEqual({
                "mpcabinet-picture-bot": [localImages.node],
            });
            const base = await session.exec(`docker image inspect ${localImages.node}`);
            expect(base.code, base.stderr).toBe(0);
        });
    });

    it("created the schemas and the shared tables from the init SQL", async () => {
        await withSession(async (session) => {
            const schemas = await psql(session, "SELECT nspname FROM pg_namespace ORDER BY 1;");
            expect(schemas.split("\n")).toEqual(expect.arrayContaining(["shared", "mpcabinet"]));
            const columns = await psql(
                session,
                "SELECT table_name || '.' || column_name || ':' || data_type FROM information_schema.columns " +
                    "WHERE table_schema = 'shared' ORDER BY table_name, ordinal_position;",
            );
            expect(columns.trim().split("\n")).toEqual([
                "analytics_events.id:integer",
                "analytics_events.telegram_id:bigint",
                "analytics_events.event_type:character varying",
                "analytics_events.event_data:jsonb",
                "analytics_events.created_at:timestamp without time zone",
                "users.telegram_id:bigint",
                "users.username:character varying",
                "users.first_name:character varying",
                "users.last_name:character varying",
                "users.first_seen:timestamp without time zone",
                "users.last_seen:timestamp without time zone",
            ]);
        });
    });

    it("keeps env files mode 0600 owned by root", async () => {
        await withSession(async (session) => {
            const files = (await session.run(`stat -c '%a %U:%G %n' ${stackDir}/env/*.env`))
                .trim()
                .split("\n");
            expect(files.length).toBe(3);
            for (const line of files) expect(line).toMatch(/^600 root:root /);
        });
    });

    it("the bot image's own ffmpeg remuxes every HLS fixture over http, as the bot runs it", async () => {
        await expectImageRemuxesEveryFixture(
            vps,
            provisioned.runtime.botImages["mpcabinet-picture-bot"]!,
        );
    });
});

describe("2. second apply", () => {
    it("reports every step UNCHANGED and restarts no container", async () => {
        const before = await withSession(startTimes);
        const records = await reapply(vps, provisioned.plan, log);
        expect(
            records.filter((record) => record.outcome !== "UNCHANGED").map((record) => record.id),
        ).toEqual([]);
        expect(await withSession(startTimes)).toEqual(before);
    });
});

describe("3. an invalid sshd option", () => {
    it("fails the hardening step clearly, rolls the drop-in back, keeps key login", async () => {
        const dropIn = "/etc/ssh/sshd_config.d/00-hardening.conf";
        const before = await withSession((session) => session.run(`sha256sum ${dropIn}`));
        const config = e2eConfig(vps, { sshd: { extraOptions: { NoSuchSshdOption: "yes" } } });
        const plan = planProvisioning(config, provisioned.runtime);
        const failure = await applySteps(() => vps.session(), plan).then(
            () => undefined,
            (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(StepFailedError);
        const stepError = failure as StepFailedError;
        expect(stepError.stepId).toBe("sshd-hardening");
        expect(stepError.stderr).toMatch(/sshd -t rejected the new config/);
        expect(stepError.stderr).toMatch(/NoSuchSshdOption/);
        expect(stepError.stderr).toMatch(/rolled back/);
        await withSession(async (session) => {
            expect(await session.run(`sha256sum ${dropIn}`)).toBe(before);
            expect((await effectiveSshd(session)).passwordauthentication).toBe("no");
        });
        await expectHardenedSsh(vps);
    });
});

describe("4. reboot", () => {
    it("comes back hardened, firewalled and healthy without re-running any step", async () => {
        await vps.poweroff();
        await vps.boot();
        await expectHardenedSsh(vps);
        await withSession(async (session) => {
            await expectFirewallActive(session);
            expect(
                Object.values(await waitForHealthyStack(session)).every(
                    (s) => s === "running/healthy",
                ),
            ).toBe(true);
        });
        expect(await openTcpPorts(vps.target.host)).toEqual([22]);
        // Only now, after the checks: applying again finds nothing to do.
        const records = await reapply(vps, provisioned.plan, log);
        expect(
            records.filter((record) => record.outcome !== "UNCHANGED").map((record) => record.id),
        ).toEqual([]);
    });
});

describe("5. Lynis", () => {
    it(`scores a hardening index of at least ${lynisTarget}`, async () => {
        const report = await withSession((session) =>
            session.exec("lynis audit system --quick --no-colors", { timeoutMs: 300_000 }),
        );
        const index = Number(/Hardening index : (\d+)/.exec(report.stdout)?.[1] ?? "NaN");
        const suggestions = report.stdout.split("\n").filter((line) => /^\s+[*!] /.test(line));
        console.log(`[vps] Lynis hardening index: ${index}\n${suggestions.join("\n")}`);
        // Lynis pads its columns with cursor moves (ESC [ n C), --no-colors or not.
        // eslint-disable-next-line no-control-regex -- the ESC byte is what is matched
        const plain = report.stdout.replace(/\u001b\[\d*C/g, " ");
        expect(plain).toMatch(/- Cron job for debsums\s+\[ FOUND \]/);
        expect(index).toBeGreaterThanOrEqual(lynisTarget);
    });
});

describe("6. a redeploy of changed bot code", () => {
    it("after the deploy's image pruning, the next build takes the compiled ffmpeg from the cache", async () => {
        // The bot's build context as provisioning built it, copied so that its source can change.
        const context = "/root/bot-next";
        await withSession((session) =>
            session.run(`rm -rf ${context} && cp -a ${shareMount}/bot ${context}`),
        );
        const buildVersion = (version: number) =>
            withSession(async (session) => {
                const output = await session.run(
                    `set -euo pipefail; printf '\\n// e2e version ${version}\\n' >> ${context}/src/main.ts; ` +
                        `DOCKER_BUILDKIT=1 docker build --progress=plain --iidfile ${context}.iid ` +
                        `--build-arg NODE_IMAGE=${localImages.node} ${context} 2>&1`,
                    { timeoutMs: 1_200_000 },
                );
                return { id: (await session.run(`cat ${context}.iid`)).trim(), output };
            });
        // Version 2: a VPS that loaded its bot image (bot-image-cache.ts) has no build cache yet
        // and compiles ffmpeg here. Deployed as `pulumi up` would: the steps whose trigger
        // changed, ending with prune-images.
        const second = await buildVersion(2);
        const bot = "mpcabinet-picture-bot";
        const runtime = {
            ...provisioned.runtime,
            botImages: { ...provisioned.runtime.botImages, [bot]: second.id },
        };
        const steps = changedSteps(provisioned.plan, planProvisioning(provisioned.config, runtime));
        expect(steps.map((step) => step.id).at(-1)).toBe("prune-images");
        await applySteps(() => vps.session(), steps);
        const usage = await withSession((session) => session.run("docker system df"));
        const cache = usage.split("\n").find((line) => line.startsWith("Build Cache"));
        log(`after the deploy's pruning: ${cache}`);

        const third = await buildVersion(3);
        const built = buildSteps(third.output);
        log(`version 3: ${JSON.stringify(built)}`);
        expect(built.filter((step) => /^\[ffmpeg \d+\/\d+\] RUN /.test(step.name))).toEqual([
            expect.objectContaining({ cached: true }),
        ]);
        expect(built.find((step) => step.name.includes("COPY --from=ffmpeg"))?.cached).toBe(true);
        // The changed source was built: not everything came from the cache.
        expect(built.find((step) => step.name.includes("RUN npx tsc"))?.cached).toBe(false);
        expect(third.id).not.toBe(second.id);
    }, 1_800_000);
});

/**
 * The steps of a `docker build --progress=plain` log (BuildKit: "#<n> [<stage> i/n] <instruction>"
 * opens a step, "#<n> CACHED" marks one taken from the build cache), without BuildKit's internal
 * ones.
 */
function buildSteps(output: string): Array<{ name: string; cached: boolean }> {
    const names = new Map<string, string>();
    const cached = new Set<string>();
    for (const line of output.split("\n")) {
        const step = /^#(\d+) (\[(?!internal\]).*)$/.exec(line);
        if (step && !names.has(step[1]!)) names.set(step[1]!, step[2]!.slice(0, 80));
        const hit = /^#(\d+) CACHED$/.exec(line.trim());
        if (hit) cached.add(hit[1]!);
    }
    return [...names].map(([id, name]) => ({ name, cached: cached.has(id) }));
}
