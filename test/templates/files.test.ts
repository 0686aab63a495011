import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planProvisioning } from "../../components/plan/plan";
import type { Step } from "../../components/plan/step";
import { renderDaemonJson } from "../../components/plan/steps/docker-steps";
import { renderSshdDropIn } from "../../components/plan/steps/bootstrap-steps";
import { MIN_RSA_BITS, SSHD_MAX_AUTH_TRIES } from "../../components/config/ssh-keys";
import { hostExposures } from "../helpers/compose-exposure";
import { BOT, runtimeFor, stackConfig, twoBotConfig } from "../helpers/stack-fixtures";
import { expectGolden } from "../helpers/golden";
import { templateGoldenCases } from "./golden-cases";
import { run } from "./template-helpers";

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

    /** The compose file as docker-compose resolves it (merge keys, defaults, extends). */
    function resolved(compose: string): string {
        const result = run("docker-compose", ["-f", "docker-compose.yml", "config"], {
            cwd: stackDir(compose),
        });
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        return result.stdout;
    }

    it("lets nothing reach past the project network: no published port, host network, host PID or privileged service", () => {
        expect(hostExposures(resolved(stdinOf("stack-compose-file")))).toEqual([]);
    });

    /** The rendered file with `lines` added to one service (and `top` appended at the end). */
    const withService = (service: string, lines: string, top = "") =>
        stdinOf("stack-compose-file").replace(
            `\n  ${service}:\n`,
            `\n  ${service}:\n${lines}`,
        ) + top;

    it.each([
        ["postgres", '    ports:\n      - "127.0.0.1:5432:5432"\n', "", "postgres publishes ports"],
        [
            "telegram-bot-api",
            "    network_mode: host\n",
            "",
            "telegram-bot-api uses host networking",
        ],
        [
            BOT,
            "    networks: [outside]\n",
            "networks:\n  outside:\n    external: true\n    name: host\n",
            `${BOT} joins the host's network`,
        ],
        [BOT, "    pid: host\n", "", `${BOT} shares the host's PIDs`],
        ["postgres", "    privileged: true\n", "", "postgres is privileged"],
    ])("the rule catches %s with %j", (service, lines, top, expected) => {
        const broken = withService(service, lines, top);
        expect(broken).not.toBe(stdinOf("stack-compose-file"));
        expect(hostExposures(resolved(broken))).toEqual([expected]);
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

/**
 * The drop-in's path as the plan's sshd step installs it (the DROP_IN of its rendered script), so
 * a renamed drop-in is tested under its new name.
 */
const DROP_IN = /^DROP_IN='([^']+)'$/m.exec(
    plan.find((s: Step) => s.id === "sshd-hardening")?.script ?? "",
)?.[1];
const DROP_IN_NAME = path.basename(DROP_IN ?? "");

function dropInDir(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(scratch, "sshd_config.d-"));
    for (const [name, content] of Object.entries(files))
        writeFileSync(path.join(dir, name), content);
    return dir;
}

describe("sshd drop-in", () => {
    it("is installed where the stock sshd_config includes it", () => {
        expect(DROP_IN).toBeDefined();
        expect(path.dirname(DROP_IN!)).toBe("/etc/ssh/sshd_config.d");
        expect(DROP_IN_NAME).toMatch(/\.conf$/);
    });

    it("passes `sshd -t` with the stock sshd_config and wins over cloud-init's 50-cloud-init.conf", () => {
        // sshd keeps the first value it reads for each option, in the Include glob's order.
        const dir = dropInDir({
            [DROP_IN_NAME]: stdinOf("sshd-hardening"),
            "50-cloud-init.conf": [
                "PasswordAuthentication yes",
                "KbdInteractiveAuthentication yes",
                "PermitRootLogin yes",
                "",
            ].join("\n"),
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
            `maxauthtries ${SSHD_MAX_AUTH_TRIES}`,
            `requiredrsasize ${MIN_RSA_BITS}`,
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

    it("keeps passwords off for outside addresses despite a `Match Address` block from cloud-init", () => {
        const cloudInit = "Match Address *,!127.0.0.1\n    PasswordAuthentication yes\n    KbdInteractiveAuthentication yes\n";
        const file = sshdConfig(
            dropInDir({ "00-hardening.conf": stdinOf("sshd-hardening"), "50-cloud-init.conf": cloudInit }),
        );
        expect(run("/usr/sbin/sshd", ["-t", "-f", file]).status).toBe(0);
        // Plain `sshd -T` ignores Match blocks; -C evaluates them for a connection from outside.
        const outside = run("/usr/sbin/sshd", [
            "-T", "-f", file, "-C", "user=root,host=internet.example,addr=198.51.100.7,lport=22",
        ]).stdout.split("\n");
        for (const line of [
            "passwordauthentication no",
            "kbdinteractiveauthentication no",
            "authenticationmethods publickey",
            "permitrootlogin without-password",
        ]) {
            expect(outside, line).toContain(line);
        }
        // Without the drop-in the same file turns passwords on for that connection: the check can fail.
        const unguarded = sshdConfig(dropInDir({ "50-cloud-init.conf": cloudInit }));
        expect(
            run("/usr/sbin/sshd", [
                "-T", "-f", unguarded, "-C", "user=root,host=internet.example,addr=198.51.100.7,lport=22",
            ]).stdout.split("\n"),
        ).toContain("passwordauthentication yes");
    });

    it("puts extra options first, and an invalid one makes `sshd -t` fail (the e2e rollback case)", () => {
        const good = stackConfig({
            sshd: { extraOptions: { AllowTcpForwarding: "local", AllowUsers: "root" } },
        });
        const goodFile = sshdConfig(dropInDir({ [DROP_IN_NAME]: renderSshdDropIn(good) }));
        expect(run("/usr/sbin/sshd", ["-t", "-f", goodFile]).status).toBe(0);
        const effective = run("/usr/sbin/sshd", ["-T", "-f", goodFile]).stdout.split("\n");
        expect(effective).toContain("allowtcpforwarding local");
        expect(effective).toContain("allowusers root");
        const bad = stackConfig({ sshd: { extraOptions: { NoSuchOption: "yes" } } });
        const badFile = sshdConfig(dropInDir({ [DROP_IN_NAME]: renderSshdDropIn(bad) }));
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
    it.each(templateGoldenCases().map((golden) => [path.basename(golden.file), golden] as const))(
        "%s matches its golden file",
        (_name, golden) => expectGolden(golden.file, golden.render()),
    );

    it("daemon.json is JSON with log rotation and live-restore", () => {
        const single = stackConfig({ operatorKeys: [] });
        expect(JSON.parse(renderDaemonJson(single))).toEqual({
            "log-driver": "json-file",
            "log-opts": { "max-size": "10m", "max-file": "3" },
            "live-restore": true,
        });
    });
});
