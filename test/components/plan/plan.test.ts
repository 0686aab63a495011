import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { planGroups, planProvisioning } from "../../../components/plan/plan";
import { placeholderRuntime } from "../../../components/plan/runtime-values";
import { parseOutcome, type Step } from "../../../components/plan/step";
import {
    BOT,
    runtimeFor,
    SECOND_BOT,
    stackConfig,
    twoBotConfig,
} from "../../helpers/stack-fixtures";
import { innerScript } from "../../helpers/secret-step";

const byId = (steps: readonly Step[], id: string) => {
    const step = steps.find((s) => s.id === id);
    if (step === undefined) throw new Error(`no step ${id}`);
    return step;
};

describe("planProvisioning", () => {
    const config = stackConfig();
    const plan = planProvisioning(config, runtimeFor(config));
    const ids = plan.map((step) => step.id);

    it("orders the concerns: keys, base system, sshd, ufw, upgrades, docker, stack", () => {
        const order = [
            "operator-keys",
            "base-packages",
            "sysctl",
            "sshd-hardening",
            "ufw",
            "unattended-upgrades-policy",
            "docker-install",
            "docker-daemon",
            "stack-dirs",
            "stack-compose-file",
            "stack-env-postgres-password",
            "stack-postgres-up",
            "stack-postgres-password",
            "stack-bot-schemas",
            // After ALTER ROLE: a rotated password reaches the bots only once Postgres has it.
            `stack-env-${BOT}`,
            "stack-up",
        ];
        const positions = order.map((id) => ids.indexOf(id));
        expect(positions.every((p) => p >= 0)).toBe(true);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        expect(new Set(ids).size).toBe(ids.length);
    });

    it("keeps every script within the step contract", () => {
        for (const step of plan) {
            expect(step.script.startsWith("#!/usr/bin/env bash\n"), step.id).toBe(true);
            expect(step.script, step.id).toContain("\nset -euo pipefail\n");
            expect(step.script, step.id).toMatch(/echo (CHANGED|UNCHANGED)/);
            expect(step.trigger, step.id).toMatch(/^[0-9a-f]{64}$/);
        }
    });

    it("never puts a runtime secret into a script, and marks every step whose stdin holds one", () => {
        const runtime = runtimeFor(config, "secretcheck");
        const secrets = [
            runtime.postgresPassword,
            runtime.botApiHash,
            ...Object.values(runtime.botTokens),
        ];
        for (const step of planProvisioning(config, runtime)) {
            for (const secret of secrets) {
                expect(step.script, step.id).not.toContain(secret);
                if (!step.secret) expect(step.stdin ?? "", step.id).not.toContain(secret);
            }
        }
    });

    it("sends env files through stdin, as secret steps writing 0600 files", () => {
        for (const id of ["stack-env-postgres", "stack-env-telegram-bot-api", `stack-env-${BOT}`]) {
            const step = byId(plan, id);
            expect(step.secret, id).toBe(true);
            expect(step.stdin, id).toBeTruthy();
            expect(step.script, id).toContain("from templates/scripts/run-secret-step.sh");
            expect(innerScript(step), id).toContain("MODE='600'");
        }
    });

    it("gives scripts that do not depend on runtime values (placeholders plan the same scripts)", () => {
        const placeholder = planProvisioning(config, placeholderRuntime(config));
        expect(placeholder.map((s) => [s.id, s.script])).toEqual(plan.map((s) => [s.id, s.script]));
    });

    it("keeps bootstrap and Docker steps completely independent of runtime values", () => {
        const a = planGroups(config, runtimeFor(config, "a"));
        const b = planGroups(config, runtimeFor(config, "b"));
        expect(b.bootstrap).toEqual(a.bootstrap);
        expect(b.docker).toEqual(a.docker);
    });

    it("gives non-secret steps the same stdin under two different secret sets", () => {
        const a = planProvisioning(config, runtimeFor(config, "a"));
        const b = planProvisioning(config, runtimeFor(config, "b"));
        const nonSecret = a.filter((step) => !step.secret);
        expect(nonSecret.length).toBeGreaterThan(10);
        for (const step of nonSecret) expect(byId(b, step.id).stdin, step.id).toBe(step.stdin);
        // ...while the secret ones do change (the check above is not vacuous).
        const id = "stack-env-postgres-password";
        expect(byId(b, id).stdin).not.toBe(byId(a, id).stdin);
    });

    it("changes only that bot's env trigger when only its token changes", () => {
        const two = twoBotConfig();
        const before = runtimeFor(two);
        const after = {
            ...before,
            botTokens: {
                ...before.botTokens,
                [SECOND_BOT]: "999:FAKE-rotated-token-abcdefghijklmnop",
            },
        };
        const a = planProvisioning(two, before);
        const b = planProvisioning(two, after);
        const changed = a
            .filter((step) => byId(b, step.id).trigger !== step.trigger)
            .map((step) => step.id);
        // stack-up re-runs because it covers every env file; no other bot's env file changes.
        expect(changed).toEqual([`stack-env-${SECOND_BOT}`, "stack-up"]);
    });

    it("installs Docker from the distribution by default, with no Docker repository anywhere", () => {
        const install = byId(plan, "docker-install").script;
        expect(install).toContain("DOCKER_SOURCE='distro'");
        expect(install).toContain("DOCKER_APT_REPOSITORY=''");
        expect(byId(plan, "unattended-upgrades-policy").stdin).not.toContain("origin=Docker");
    });

    it("with docker-ce, uses the configured repository and lets unattended-upgrades patch it", () => {
        const repository = "https://apt.example.test/linux/ubuntu";
        const dockerCe = stackConfig({
            docker: { source: "docker-ce", aptRepository: repository },
        });
        const steps = planProvisioning(dockerCe, runtimeFor(dockerCe));
        const install = byId(steps, "docker-install").script;
        expect(install).toContain("DOCKER_SOURCE='docker-ce'");
        expect(install).toContain(`DOCKER_APT_REPOSITORY='${repository}'`);
        expect(byId(steps, "unattended-upgrades-policy").stdin).toContain(
            '    "origin=Docker,label=Docker CE,archive=${distro_codename}";\n};',
        );
    });

    it("writes a compose file without ports, with pinned images and the bots' settings", () => {
        const compose = parse(byId(plan, "stack-compose-file").stdin ?? "") as {
            services: Record<string, Record<string, unknown>>;
            volumes: Record<string, unknown>;
        };
        expect(Object.keys(compose.services)).toEqual(["postgres", "telegram-bot-api", BOT]);
        for (const [name, service] of Object.entries(compose.services)) {
            expect(service.ports, name).toBeUndefined();
            expect(service.restart, name).toBe("unless-stopped");
            expect(service.mem_limit, name).toMatch(/^[0-9]+[kmg]$/);
        }
        const bot = compose.services[BOT] ?? {};
        expect(bot.image).toBe(runtimeFor(config).botImages[BOT]);
        expect(bot.user).toBe("10001:10001");
        expect(bot.depends_on).toMatchObject({ postgres: { condition: "service_healthy" } });
        expect(bot.volumes).toContain(`./media/${BOT}:/var/lib/telegram-media/${BOT}`);
        expect(compose.services["telegram-bot-api"]?.volumes).toContain(
            `./media/${BOT}:/var/lib/telegram-media/${BOT}:ro`,
        );
        expect(compose.services.postgres?.image).toMatch(/^postgres:16\.\d+-alpine$/);
        expect(compose.services.postgres?.healthcheck).toMatchObject({
            test: [
                "CMD",
                "pg_isready",
                "-h",
                "127.0.0.1",
                "-U",
                "telegram_admin",
                "-d",
                "telegram_ecosystem",
            ],
        });
        expect(Object.keys(compose.volumes)).toContain("postgres-data");
        expect(byId(plan, "stack-compose-file").stdin).not.toMatch(/^name:/m);
    });

    it("writes the documented bot environment", () => {
        const env = byId(plan, `stack-env-${BOT}`).stdin ?? "";
        const runtime = runtimeFor(config);
        expect(env).toContain(`BOT_TOKEN=${runtime.botTokens[BOT]}\n`);
        expect(env).toContain("TELEGRAM_API_BASE_URL=http://telegram-bot-api:8081\n");
        expect(env).toContain("TELEGRAM_API_LOCAL=true\n");
        expect(env).toContain(
            `DATABASE_URL=postgresql://telegram_admin:${runtime.postgresPassword}@postgres:5432/telegram_ecosystem\n`,
        );
        expect(env).toContain("DB_SCHEMA=mpcabinet\n");
        expect(env).toContain("HLS_MAX_VIDEO_SIZE_MB=2000\n");
        expect(env).toContain(`HLS_TEMP_DIR=/var/lib/telegram-media/${BOT}\n`);
    });

    it("adds a second bot from config alone: service, env file, schema, media dir", () => {
        const two = twoBotConfig();
        const steps = planProvisioning(two, runtimeFor(two));
        expect(steps.map((s) => s.id)).toContain(`stack-env-${SECOND_BOT}`);
        expect(byId(steps, "stack-compose-file").stdin).toContain(`  ${SECOND_BOT}:\n`);
        expect(byId(steps, "stack-bot-schemas").stdin).toContain(
            "CREATE SCHEMA IF NOT EXISTS second_bot;",
        );
        expect(byId(steps, "stack-bot-schemas").script).toContain(
            "SCHEMAS='shared mpcabinet second_bot'",
        );
        expect(byId(steps, "stack-dirs").script).toContain(`BOT_NAMES='${BOT} ${SECOND_BOT}'`);
        expect(byId(steps, `stack-env-${SECOND_BOT}`).stdin).toContain("FEATURE_FLAG=on\n");
    });

    it("rejects runtime values it cannot render safely, without echoing them", () => {
        const bad = { ...runtimeFor(config), postgresPassword: "has space'quote" };
        expect(() => planProvisioning(config, bad)).toThrow(
            /postgresPassword must be 16-128 letters and digits/,
        );
        expect(() => planProvisioning(config, bad)).not.toThrow(/space/);
        const missing = { ...runtimeFor(config), botImages: {} };
        expect(() => planProvisioning(config, missing)).toThrow(`botImages["${BOT}"] is missing`);
        // A base is one word of prune-images' stdin line: a space would split it.
        const twoWords = { ...runtimeFor(config), botBaseImages: { [BOT]: ["node:22 evil"] } };
        expect(() => planProvisioning(config, twoWords)).toThrow(
            `botBaseImages["${BOT}"] holds "node:22 evil", not an image reference`,
        );
    });

    it("refuses a plan with duplicate step ids", () => {
        const concern = {
            name: "twice",
            group: "stack" as const,
            plan: () => [byId(plan, "stack-up")],
        };
        expect(() => planGroups(config, runtimeFor(config), [concern, concern])).toThrow(
            "duplicate step id stack-up",
        );
    });

    it("parses the outcome contract it relies on", () => {
        expect(parseOutcome("==> x\nCHANGED\n")).toBe("CHANGED");
    });
});
