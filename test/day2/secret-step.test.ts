import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planProvisioning } from "../../components/plan/plan";
import { describedScript, makeSecretStep, type Step } from "../../components/plan/step";
import {
    commandProviderClient,
    runCommand,
    type CommandConnection,
} from "../helpers/command-provider-client";
import { BOT, runtimeFor, stackConfig } from "../helpers/stack-fixtures";
import { startSshd, type PrivateSshd } from "./helpers/private-sshd";

// When a step fails, @pulumi/command puts the command's whole output into its error text, which
// is not secret. Steps whose stdin carries secrets run inside run-secret-step.sh, so that text
// never holds a line of that stdin: proven over SSH against a private sshd, through the command
// provider's own client code path (test/ssh-clients/command-provider).

const SECRET = "123456789:FAKE-secret-token-must-not-leak-xyz";
let sshd: PrivateSshd;
let scratch: string;
let connection: CommandConnection;

beforeAll(async () => {
    commandProviderClient(); // built once, before the timed tests
    sshd = await startSshd();
    scratch = mkdtempSync(join(tmpdir(), "secret-step-"));
    connection = {
        host: "127.0.0.1",
        port: sshd.port,
        hostKey: sshd.hostKeyPub,
        privateKeyFile: sshd.clientKeyPath,
        agentSocket: "",
    };
}, 180_000);

afterAll(async () => {
    await sshd?.stop();
    rmSync(scratch, { recursive: true, force: true });
});

/** A step that prints its stdin and then fails: the worst a future script could do. */
const LEAKY_SCRIPT = [
    "#!/usr/bin/env bash",
    "set -euo pipefail",
    'main() { echo "read: $(cat)"; echo "ERROR: failing on purpose" >&2; exit 3; }',
    'main "$@"',
    "",
].join("\n");

describe("a secret step that fails", () => {
    it("unguarded, the provider's error text holds the stdin (what the guard prevents)", async () => {
        const result = await runCommand(connection, LEAKY_SCRIPT, `${SECRET}\n`);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("Process exited with status 3");
        expect(result.stderr).toContain(SECRET);
    });

    it("guarded, the error names the step, the exit code and the log, and none of the stdin", async () => {
        const logDir = join(scratch, "logs");
        const step = makeSecretStep({
            id: "leaky",
            description: "fails on purpose",
            script: LEAKY_SCRIPT,
            stdin: `${SECRET}\n`,
            logDir,
        });
        const result = await runCommand(connection, step.script, step.stdin);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(
            `ERROR: step leaky failed (exit 3). Its input holds secrets, so its output is kept on the server only: ${logDir}/leaky.log (root)`,
        );
        expect(result.stderr).not.toContain(SECRET);
        expect(result.stderr).not.toContain("FAKE-secret");
        // The output is kept on the server, root only.
        expect(readFileSync(join(logDir, "leaky.log"), "utf8")).toContain(SECRET);
        expect((statSync(join(logDir, "leaky.log")).mode & 0o777).toString(8)).toBe("600");
        expect((statSync(logDir).mode & 0o777).toString(8)).toBe("700");
    });

    it("a real env-file step of the plan, broken on purpose, fails naming the step, without its token", async () => {
        const stackDir = join(scratch, "stack");
        const config = stackConfig({ stackDir });
        const step = planProvisioning(config, runtimeFor(config)).find(
            (s) => s.id === `stack-env-${BOT}`,
        ) as Step;
        const token = runtimeFor(config).botTokens[BOT] as string;
        expect(step.stdin).toContain(token);
        // env/ is a file, so the step cannot write env/<bot>.env.
        mkdirSync(stackDir, { recursive: true });
        writeFileSync(join(stackDir, "env"), "not a directory\n");
        // Run as its Command runs it (`create`), whose error text names the step and its purpose.
        const result = await runCommand(connection, describedScript(step), step.stdin);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`# stack-env-${BOT}: ${step.description}`);
        expect(result.stderr).toMatch(
            new RegExp(`ERROR: step stack-env-${BOT} failed \\(exit \\d+\\)`),
        );
        expect(result.stderr).not.toContain(token);
        expect(result.stderr).not.toContain(token.split(":")[1]);
    });

    it("a guarded step that succeeds prints only its outcome", async () => {
        const logDir = join(scratch, "ok-logs");
        const script = [
            "#!/usr/bin/env bash",
            "set -euo pipefail",
            'main() { echo "got $(wc -c) bytes"; echo CHANGED; }',
            'main "$@"',
            "",
        ].join("\n");
        const step = makeSecretStep({
            id: "fine",
            description: "works",
            script,
            stdin: `${SECRET}\n`,
            logDir,
        });
        const result = await runCommand(connection, step.script, step.stdin);
        expect(result.code).toBe(0);
        expect(result.stdout).toBe(`==> step fine: output in ${logDir}/fine.log\nCHANGED\n`);
    });
});
