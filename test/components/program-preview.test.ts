import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installMocks, settle, type RecordedResource } from "../helpers/pulumi-mocks";
import { BOT } from "../helpers/stack-fixtures";

// A CI preview: no hostKey pinned yet, no SSH, nothing known about the VPS.
let resources: RecordedResource[] = [];
let workDir: string;
const cwd = process.cwd();

beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), "preview-test-"));
    process.chdir(workDir);
    resources = await installMocks({
        config: {
            host: "203.0.113.10",
            botApi: { apiId: 1234567, apiHash: "fakeapihash0123456789abcdef0123" },
            bots: [
                {
                    name: BOT,
                    schema: "mpcabinet",
                    token: "123456789:FAKE-test-token-abcdefghijklmnopqrs",
                },
            ],
        },
        secretKeys: ["botApi", "bots"],
        generatedPassword: "unused-in-preview",
        preview: true,
    });
    await import("../../index");
    await settle();
});

afterAll(() => {
    process.chdir(cwd);
    rmSync(workDir, { recursive: true, force: true });
});

describe("the program in preview", () => {
    it("plans every command with its script known, without a pinned host key or built image", () => {
        const commands = resources.filter((r) => r.type === "command:remote:Command");
        expect(commands.map((c) => c.name)).toEqual(
            expect.arrayContaining(["host-sshd-hardening", "stack-stack-up"]),
        );
        for (const command of commands)
            expect(command.inputs.create, command.name).toMatch(/^#!\/usr\/bin\/env bash/);
        // The stack's stdin waits for the password and the image: unknown in a first preview.
        expect(commands.find((c) => c.name === "stack-stack-compose-file")?.inputs.stdin).toEqual({
            __pulumiUnknown: true,
        });
        expect(commands.find((c) => c.name === "host-sshd-hardening")?.inputs.stdin).toContain(
            "PasswordAuthentication no",
        );
    });

    it("writes no known_hosts file when no host key is pinned", () => {
        expect(readdirSync(workDir)).toEqual([]);
    });
});
