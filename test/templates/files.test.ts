import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planProvisioning } from "../../components/plan/plan";
import type { Step } from "../../components/plan/step";
import { renderDaemonJson } from "../../components/plan/steps/docker-steps";
import { renderSshdDropIn } from "../../components/plan/steps/bootstrap-steps";
import { BOT, runtimeFor, stackConfig, twoBotConfig } from "../helpers/stack-fixtures";
import { expectGolden, run } from "./template-helpers";

const scratch = mkdtempSync(path.join(tmpdir(), "files-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const config = twoBotConfig();
const plan = planProvisioning(config, runtimeFor(config));
const stdinOf = (id: string) => {
    const step = plan.find((s: Step) => s.id === id);
    if (step?.stdin === undefined) throw new Error(`no stdin for step ${id}`);
    return step.stdin;
};

/** A stack directory with the rendered compose file and (empty) env files. */
function stackDir(compose: string): string {
    const dir = mkdtempSync(path.join(scratch, "stack-"));
    mkdirSync(path.join(dir, "env"));
    for (const name of ["postgres", "telegram-bot-api", ...config.bots.map((b) => b.name)]) {
        writeFileSync(path.join(dir, "env", `${name}.env`), "");
    }
    writeFileSync(path.join(dir, "docker-compose.yml"), compose);
    return dir;
}

const DCLINT_SCHEMA_ONLY = {
    rules: Object.fromEntries(
        [
            "no-version-field",
            "require-project-name-field",
            "service-keys-order",
            "services-alphabetical-order",
            "service-image-require-explicit-tag",
            "require-quotes-in-ports",
            "no-quotes-in-volumes",
            "top-level-properties-order",
            "service-container-name-regex",
            "no-unbound-port-interfaces",
        ].map((rule) => [rule, 0]),
    ),
};

describe("docker-compose.yml", () => {
    it("validates with docker-compose v1 `config -q` (Debian 12; e2e runs it on Compose v2)", () => {
        const dir = stackDir(stdinOf("stack-compose-file"));
        const result = run("docker-compose", ["-f", "docker-compose.yml", "config", "-q"], {
            cwd: dir,
        });
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
    });

    it("validates against the compose-spec schema (dclint, style rules off)", () => {
        const dir = stackDir(stdinOf("stack-compose-file"));
        writeFileSync(path.join(dir, "dclint.json"), JSON.stringify(DCLINT_SCHEMA_ONLY));
        const dclint = path.join(__dirname, "../../node_modules/.bin/dclint");
        const result = run(dclint, ["-c", "dclint.json", "docker-compose.yml"], { cwd: dir });
        expect(result.stdout + result.stderr).not.toMatch(/error/i);
        expect(result.status).toBe(0);
    });

    it("is rejected by the validator when broken (the check can fail)", () => {
        const broken = stdinOf("stack-compose-file").replace(
            "condition: service_healthy",
            "condition: when_ready",
        );
        const dir = stackDir(broken);
        expect(
            run("docker-compose", ["-f", "docker-compose.yml", "config", "-q"], { cwd: dir })
                .status,
        ).not.toBe(0);
    });
});

/** sshd_config as shipped, with its Include pointed at our drop-in dir and its own host key. */
function sshdConfig(dropInDir: string): string {
    const dir = mkdtempSync(path.join(scratch, "sshd-"));
    const hostKey = path.join(dir, "host_ed25519");
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
    const stock = readFileSync("/etc/ssh/sshd_config", "utf8");
    expect(stock).toMatch(/^Include \/etc\/ssh\/sshd_config\.d\/\*\.conf$/m);
    const config = stock.replace(
        /^Include \/etc\/ssh\/sshd_config\.d\/\*\.conf$/m,
        `Include ${dropInDir}/*.conf\nHostKey ${hostKey}`,
    );
    const file = path.join(dir, "sshd_config");
    writeFileSync(file, config);
    mkdirSync("/run/sshd", { recursive: true });
    return file;
}

function dropInDir(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(scratch, "sshd_config.d-"));
    for (const [name, content] of Object.entries(files))
        writeFileSync(path.join(dir, name), content);
    return dir;
}

describe("sshd drop-in", () => {
    it("passes `sshd -t` with the stock sshd_config and wins over cloud-init's 50-cloud-init.conf", () => {
        const dir = dropInDir({
            "00-hardening.conf": stdinOf("sshd-hardening"),
            "50-cloud-init.conf": "PasswordAuthentication yes\n",
        });
        const file = sshdConfig(dir);
        const check = run("/usr/sbin/sshd", ["-t", "-f", file]);
        expect(check.stderr).toBe("");
        expect(check.status).toBe(0);
        const effective = run("/usr/sbin/sshd", ["-T", "-f", file]).stdout;
        for (const line of [
            "passwordauthentication no",
            "kbdinteractiveauthentication no",
            "permitrootlogin without-password",
            "maxauthtries 3",
            "x11forwarding no",
            "allowtcpforwarding no",
            "loglevel VERBOSE",
            "ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-gcm@openssh.com,aes128-ctr",
            "macs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com",
        ]) {
            expect(effective.split("\n"), line).toContain(line);
        }
        expect(effective).toMatch(/^subsystem sftp /m);
    });

    it("puts extra options first, and an invalid one makes `sshd -t` fail (the e2e rollback case)", () => {
        const good = stackConfig({
            sshd: { extraOptions: { AllowTcpForwarding: "local", AllowUsers: "root" } },
        });
        const goodFile = sshdConfig(dropInDir({ "00-hardening.conf": renderSshdDropIn(good) }));
        expect(run("/usr/sbin/sshd", ["-t", "-f", goodFile]).status).toBe(0);
        const effective = run("/usr/sbin/sshd", ["-T", "-f", goodFile]).stdout.split("\n");
        expect(effective).toContain("allowtcpforwarding local");
        expect(effective).toContain("allowusers root");
        const bad = stackConfig({ sshd: { extraOptions: { NoSuchOption: "yes" } } });
        const badFile = sshdConfig(dropInDir({ "00-hardening.conf": renderSshdDropIn(bad) }));
        const result = run("/usr/sbin/sshd", ["-t", "-f", badFile]);
        expect(result.status).not.toBe(0);
        expect(result.stderr).toMatch(/Bad configuration option: NoSuchOption/);
    });
});

describe("sysctl baseline", () => {
    // /etc/ufw/sysctl.conf as shipped by ufw 0.36 (Debian 12, Ubuntu 24.04); UFW re-applies it on
    // every reload, so a baseline key with another value would flip back and forth between runs.
    const UFW_SYSCTL: Record<string, string> = {
        "net.ipv4.conf.all.accept_redirects": "0",
        "net.ipv4.conf.default.accept_redirects": "0",
        "net.ipv6.conf.all.accept_redirects": "0",
        "net.ipv6.conf.default.accept_redirects": "0",
        "net.ipv4.icmp_echo_ignore_broadcasts": "1",
        "net.ipv4.icmp_ignore_bogus_error_responses": "1",
        "net.ipv4.icmp_echo_ignore_all": "0",
        "net.ipv4.conf.all.log_martians": "0",
        "net.ipv4.conf.default.log_martians": "0",
    };
    const baseline = Object.fromEntries(
        stdinOf("sysctl")
            .split("\n")
            .filter((line) => /^[a-z]/.test(line))
            .map((line) => line.split("=").map((part) => part.trim())),
    ) as Record<string, string>;

    it("keeps IP forwarding on for Docker", () => {
        expect(baseline["net.ipv4.ip_forward"]).toBe("1");
    });

    it("agrees with UFW's own sysctl settings on every shared key", () => {
        for (const [key, value] of Object.entries(baseline)) {
            if (key in UFW_SYSCTL) expect(value, key).toBe(UFW_SYSCTL[key]);
        }
    });
});

describe("golden files", () => {
    const single = stackConfig({ operatorKeys: [] });
    const singlePlan = planProvisioning(single, runtimeFor(single));
    const singleStdin = (id: string) => singlePlan.find((s) => s.id === id)?.stdin ?? "";

    it.each([
        ["00-hardening.conf", () => renderSshdDropIn(single)],
        ["daemon.json", () => renderDaemonJson(single)],
        ["docker-compose.yml", () => singleStdin("stack-compose-file")],
        ["01-init.sql", () => singleStdin("stack-init-sql")],
        [`${BOT}.env`, () => singleStdin(`stack-env-${BOT}`)],
        ["postgres.env", () => singleStdin("stack-env-postgres")],
        [
            "52unattended-upgrades-telegram-ecosystem",
            () => singleStdin("unattended-upgrades-policy"),
        ],
        ["ufw.sh", () => singlePlan.find((s) => s.id === "ufw")?.script ?? ""],
    ])("%s matches its golden file", (name, renderIt) => {
        expectGolden(name, renderIt());
    });

    it("daemon.json is JSON with log rotation and live-restore", () => {
        expect(JSON.parse(renderDaemonJson(single))).toEqual({
            "log-driver": "json-file",
            "log-opts": { "max-size": "10m", "max-file": "3" },
            "live-restore": true,
        });
    });
});
