import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { Bootstrap } from "../../components/bootstrap";
import { ComposeStack } from "../../components/compose-stack";
import { DockerEngine } from "../../components/docker-engine";
import { planGroups } from "../../components/plan/plan";
import { placeholderRuntime } from "../../components/plan/runtime-values";
import { stepOutcome, type Step } from "../../components/plan/step";
import { NO_OP_UPDATE } from "../../components/step-commands";
import {
    installMocks,
    isSecretWrapper,
    settle,
    valueOf,
    type RecordedResource,
} from "../helpers/pulumi-mocks";
import { BOT, stackConfig } from "../helpers/stack-fixtures";

const PASSWORD = "GeneratedPostgresPassword0123456789ab";
const TOKEN = "123456789:FAKE-test-token-abcdefghijklmnopqrs";
/** What a secret step might print before its last line; it must never reach an output. */
const SECRET_LINE = `POSTGRES_PASSWORD=${PASSWORD}`;
const STDOUT: Record<string, string> = {
    "host-sshd-hardening": "reloading ssh.service\nCHANGED\n",
    "engine-docker-daemon": "daemon.json written\nrestarting docker\nCHANGED",
    "stack-stack-env-postgres": `${SECRET_LINE}\nCHANGED\n`,
};

const config = stackConfig();
const planned = planGroups(config, placeholderRuntime(config));
const connection = { host: "203.0.113.10", user: "root", hostKey: "ssh-ed25519 AAAA" };
let resources: RecordedResource[] = [];
let bootstrap: Bootstrap;
let engine: DockerEngine;
let stack: ComposeStack;

beforeAll(async () => {
    resources = await installMocks({
        config: {},
        secretKeys: [],
        generatedPassword: PASSWORD,
        commandStdout: (name) => STDOUT[name] ?? "UNCHANGED",
    });
    bootstrap = new Bootstrap("host", { config, connection });
    engine = new DockerEngine("engine", { config, connection });
    stack = new ComposeStack("stack", {
        config,
        connection,
        botApiHash: "fakeapihash0123456789abcdef0123",
        botTokens: { [BOT]: TOKEN },
        botImages: { [BOT]: `sha256:${"ab".repeat(32)}` },
    });
    await settle();
});

/** The expected report: every step UNCHANGED except the listed command names. */
function expected(prefix: string, steps: readonly Step[]) {
    return steps.map((step) => ({
        step: step.id,
        outcome: STDOUT[`${prefix}-${step.id}`] === undefined ? "UNCHANGED" : "CHANGED",
    }));
}

describe("each component's steps output", () => {
    it("lists every step in order with the outcome its stdout ends with", async () => {
        expect(await valueOf(bootstrap.steps)).toEqual(expected("host", planned.bootstrap));
        expect(await valueOf(engine.steps)).toEqual(expected("engine", planned.docker));
        const stackSteps = await valueOf(stack.steps);
        expect(stackSteps).toEqual(expected("stack", planned.stack));
        expect(stackSteps.filter((report) => report.outcome === "CHANGED")).toEqual([
            { step: "stack-env-postgres", outcome: "CHANGED" },
        ]);
    });

    it("takes only the word from a secret step, and is no secret itself", async () => {
        expect(planned.stack.find((step) => step.id === "stack-env-postgres")?.secret).toBe(true);
        for (const steps of [bootstrap.steps, engine.steps, stack.steps]) {
            expect(await pulumi.isSecret(steps)).toBe(false);
            const text = JSON.stringify(await valueOf(steps));
            expect(text).not.toContain(PASSWORD);
            expect(text).not.toContain("POSTGRES_PASSWORD");
        }
    });

    it("runs each script with its description right after the shebang, trigger unchanged", () => {
        const commands = resources.filter((r) => r.type === "command:remote:Command");
        const all = [...planned.bootstrap, ...planned.docker];
        expect(commands.length).toBe(all.length + planned.stack.length);
        for (const step of all) {
            const command = commands.find((c) => c.name.endsWith(`-${step.id}`));
            const create = command?.inputs.create as string;
            const [shebang, comment, ...rest] = create.split("\n");
            expect(shebang, step.id).toBe("#!/usr/bin/env bash");
            expect(comment, step.id).toBe(`# ${step.id}: ${step.description}`);
            expect([shebang, ...rest].join("\n"), step.id).toBe(step.script);
            const triggers = command?.inputs.triggers;
            expect(isSecretWrapper(triggers) ? triggers.value : triggers).toEqual([step.trigger]);
        }
    });
});

describe("a step's command updated in place (a new key or host key line, a new description)", () => {
    // The provider runs `update` instead of `create` and keeps the update's stdout as the
    // command's stdout (pulumi-command, provider/pkg/provider/remote: commandController.go
    // Update, commandOutputs.go run), which the steps output reads on every later run too.
    it("re-runs nothing and leaves a stdout that reads UNCHANGED", () => {
        const commands = resources.filter((r) => r.type === "command:remote:Command");
        for (const command of commands)
            expect(command.inputs.update, command.name).toBe(NO_OP_UPDATE);
        const stdout = execFileSync("bash", ["-c", NO_OP_UPDATE], { encoding: "utf8" });
        for (const step of [...planned.bootstrap, ...planned.docker, ...planned.stack]) {
            expect(stepOutcome(step, stdout.replace(/\n$/, "")), step.id).toBe("UNCHANGED");
        }
    });
});
