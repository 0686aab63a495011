import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { installMocks, settle, valueOf, type RecordedResource } from "../helpers/pulumi-mocks";
import { BOT, fakePublicKey } from "../helpers/stack-fixtures";

// The preflight's probes ask ssh-agent and dial the host: under mocks they report a clean run.
vi.mock("../../components/preflight-probes", async (importOriginal) => ({
    ...(await importOriginal<object>()),
    runPreflight: (await import("../helpers/pulumi-mocks")).cleanPreflight,
}));

// A rollback: bots[0].image names an image kept on the host, so nothing is built for that bot.
const KEPT = `sha256:${"5e".repeat(32)}`;
const HOST_KEY = fakePublicKey().split(" ").slice(0, 2).join(" ");

let resources: RecordedResource[] = [];
let program: Record<string, unknown>;
let workDir: string;
const cwd = process.cwd();

beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), "rollback-test-"));
    process.chdir(workDir);
    resources = await installMocks({
        config: {
            host: "203.0.113.10",
            hostKey: HOST_KEY,
            operatorKeys: [fakePublicKey("operator@laptop")],
            botApi: { apiId: 1234567, apiHash: "fakeapihash0123456789abcdef0123" },
            bots: [
                {
                    name: BOT,
                    schema: "mpcabinet",
                    token: "123456789:FAKE-test-token-abcdefghijklmnopqrs",
                    image: KEPT,
                },
            ],
        },
        secretKeys: ["botApi", "bots"],
        generatedPassword: "GeneratedPostgresPassword0123456789ab",
    });
    program = await import("../../index");
    await settle();
});

afterAll(() => {
    process.chdir(cwd);
    rmSync(workDir, { recursive: true, force: true });
});

describe("the program with bots[N].image (a rollback)", () => {
    it("builds no image and deploys the kept one", async () => {
        const types = resources.map((r) => r.type);
        expect(types).not.toContain("timeweb:vps:BotImage");
        expect(types).not.toContain("docker:index/image:Image");
        const compose = resources.find((r) => r.name === "stack-stack-compose-file");
        expect(String(compose?.inputs.stdin)).toContain(`image: "${KEPT}"`);
        const prune = resources.find((r) => r.name === "stack-prune-images");
        expect(prune?.inputs.stdin).toBe(`${BOT} ${KEPT}\n`);
        expect(await valueOf(program.botImageIds as pulumi.Output<unknown>)).toEqual({
            [BOT]: KEPT,
        });
    });
});
