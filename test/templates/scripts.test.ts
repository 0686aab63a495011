import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseStackConfig } from "../../components/config/config";
import { planProvisioning } from "../../components/plan/plan";
import { renderText, TEMPLATES_DIR } from "../../components/plan/render";
import { BOT, runtimeFor, SECOND_BOT, twoBotConfig } from "../helpers/stack-fixtures";
import { innerScript } from "../helpers/secret-step";
import { run } from "./template-helpers";

const config = twoBotConfig();
const plan = planProvisioning(config, runtimeFor(config));
const scratch = mkdtempSync(path.join(tmpdir(), "scripts-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function shellcheck(name: string, text: string): string {
    const result = run("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: text });
    return result.status === 0 ? "" : `${name}:\n${result.stdout}${result.stderr}`;
}

describe("step scripts", () => {
    it("pass shellcheck, every one of them, as rendered", () => {
        const findings = plan
            .flatMap((step) => [
                shellcheck(step.id, step.script),
                ...(step.secret ? [shellcheck(`${step.id} (inner script)`, innerScript(step))] : []),
            ])
            .filter(Boolean);
        expect(findings.join("\n")).toBe("");
    });

    it("cover every template in templates/scripts (none escapes linting)", () => {
        // A secret step's script is embedded in run-secret-step.sh: count both.
        const used = new Set(
            plan.flatMap((step) =>
                [...step.script.matchAll(/from templates\/scripts\/([\w.-]+\.sh)/g)].map((m) => m[1]),
            ),
        );
        const files = readdirSync(path.join(TEMPLATES_DIR, "scripts"));
        expect(files.filter((file) => !used.has(file))).toEqual([]);
    });

    it("would be caught by shellcheck if broken (the check can fail)", () => {
        expect(shellcheck("broken", "#!/usr/bin/env bash\necho $UNQUOTED_VAR\n")).toContain(
            "SC2086",
        );
    });

    it('each have their body in functions, called by a last `main "$@"` line', () => {
        for (const step of plan)
            expect(step.script.trimEnd().endsWith('main "$@"'), step.id).toBe(true);
    });
});

/** Runs a rendered script body with the variables block replaced, as root on this machine. */
function runScript(
    template: string,
    vars: Record<string, string>,
    input: string,
): { status: number | null; stdout: string; stderr: string } {
    const text = readFileSync(path.join(TEMPLATES_DIR, "scripts", template), "utf8");
    const result = run("bash", ["-c", renderText(template, text, vars)], { input });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const lastLine = (stdout: string) => stdout.trimEnd().split("\n").at(-1);

describe("install-file.sh", () => {
    it("writes the file atomically with its mode, then reports UNCHANGED on a second run", () => {
        const target = path.join(scratch, "env", "bot.env");
        const vars = { target, mode: "600", owner: "root:root" };
        const first = runScript("install-file.sh", vars, "SECRET=1\n");
        expect(first.stderr).toBe("");
        expect(lastLine(first.stdout)).toBe("CHANGED");
        expect(readFileSync(target, "utf8")).toBe("SECRET=1\n");
        expect((statSync(target).mode & 0o777).toString(8)).toBe("600");
        expect(lastLine(runScript("install-file.sh", vars, "SECRET=1\n").stdout)).toBe("UNCHANGED");
        expect(
            lastLine(runScript("install-file.sh", { ...vars, mode: "644" }, "SECRET=1\n").stdout),
        ).toBe("CHANGED");
        expect(lastLine(runScript("install-file.sh", vars, "SECRET=2\n").stdout)).toBe("CHANGED");
        expect(readdirSync(path.dirname(target))).toEqual(["bot.env"]);
    });
});

// install-authorized-keys.sh: test/templates/authorized-keys.test.ts

describe("prepare-stack-dirs.sh", () => {
    it("creates the layout with the bots' media dirs owned by 10001, then changes nothing", () => {
        const stackDir = path.join(scratch, "stack");
        const vars = {
            stack_dir: stackDir,
            bot_names: `${BOT} ${SECOND_BOT}`,
            media_owner: "10001:10001",
        };
        expect(lastLine(runScript("prepare-stack-dirs.sh", vars, "").stdout)).toBe("CHANGED");
        const media = statSync(path.join(stackDir, "media", SECOND_BOT));
        expect([media.uid, media.gid, (media.mode & 0o777).toString(8)]).toEqual([
            10001,
            10001,
            "755",
        ]);
        expect((statSync(path.join(stackDir, "env")).mode & 0o777).toString(8)).toBe("700");
        const envFile = path.join(stackDir, "env", `${BOT}.env`);
        expect([statSync(envFile).size, (statSync(envFile).mode & 0o777).toString(8)]).toEqual([
            0,
            "600",
        ]);
        writeFileSync(envFile, "BOT_TOKEN=kept\n");
        expect(lastLine(runScript("prepare-stack-dirs.sh", vars, "").stdout)).toBe("UNCHANGED");
        expect(readFileSync(envFile, "utf8")).toBe("BOT_TOKEN=kept\n");
    });
});

describe("harden-sshd.sh", () => {
    it("refuses to disable passwords when no key is authorised, before touching anything", () => {
        const keys = path.join(scratch, "empty_authorized_keys");
        writeFileSync(keys, "");
        const dropIn = path.join(scratch, "sshd_config.d", "00-hardening.conf");
        const result = runScript(
            "harden-sshd.sh",
            { drop_in: dropIn, keys_file: keys },
            "PasswordAuthentication no\n",
        );
        expect(result.status).toBe(1);
        expect(result.stderr).toContain(
            "ERROR: refusing to disable password login: no SSH key is authorised",
        );
        expect(() => statSync(dropIn)).toThrow();
    });
});

describe("configure-swap.sh", () => {
    it("leaves swap alone when swapSize is 0", () => {
        const result = runScript(
            "configure-swap.sh",
            { swap_size: "0", swap_file: path.join(scratch, "swapfile") },
            "",
        );
        expect(result.status).toBe(0);
        expect(lastLine(result.stdout)).toBe("UNCHANGED");
    });
});

it("plans with a minimal config too (one bot, defaults)", () => {
    const minimal = parseStackConfig({
        host: "203.0.113.10",
        botApi: { apiId: 1 },
        bots: [{ name: BOT, schema: "m" }],
    });
    expect(planProvisioning(minimal, runtimeFor(minimal)).length).toBeGreaterThan(15);
});
