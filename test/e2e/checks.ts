import { execFile } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { SSHD_MAX_AUTH_TRIES } from "../../components/config/ssh-keys";
import { attemptLogin, SshSession } from "../vps/ssh";
import { DebianRelease, TestVps } from "../vps/vps";

/** Checks shared by the scenarios; each reads the VPS from outside or through a root session. */

export const stackDir = "/opt/telegram-ecosystem";
const policyFile = (release: DebianRelease) =>
    join(__dirname, `fixtures/ssh-audit-policy-${release}.txt`);

/** The effective sshd values the hardening must produce (from `sshd -T`, lower-case keys). */
export const hardenedSshd: Readonly<Record<string, string>> = {
    passwordauthentication: "no",
    kbdinteractiveauthentication: "no",
    permitrootlogin: "without-password",
    authenticationmethods: "publickey",
    pubkeyauthentication: "yes",
    permitemptypasswords: "no",
    maxauthtries: String(SSHD_MAX_AUTH_TRIES),
    x11forwarding: "no",
    allowtcpforwarding: "no",
    allowagentforwarding: "no",
    permittunnel: "no",
    kexalgorithms:
        "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org," +
        "diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512",
    ciphers:
        "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes256-ctr,aes192-ctr," +
        "aes128-gcm@openssh.com,aes128-ctr",
    macs: "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com",
};

/** Runs a program on the CI machine and returns its exit code and output (never throws). */
export function runOutside(program: string, args: readonly string[]) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(program, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
            const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
            resolve({ code, stdout, stderr });
        });
    });
}

export async function effectiveSshd(session: SshSession): Promise<Record<string, string>> {
    const out = await session.run("sshd -T");
    const values: Record<string, string> = {};
    for (const line of out.split("\n")) {
        const [key, ...rest] = line.trim().split(" ");
        if (key && values[key] === undefined) values[key] = rest.join(" ");
    }
    return values;
}

/**
 * Key login works; password and keyboard-interactive logins are refused; sshd -T is hardened
 * (on `port`, after a port change).
 */
export async function expectHardenedSsh(vps: TestVps, port = 22): Promise<void> {
    const session = await vps.session(port);
    try {
        expect((await session.run("id -un")).trim()).toBe("root");
        const effective = await effectiveSshd(session);
        for (const [key, value] of Object.entries({ ...hardenedSshd, port: String(port) })) {
            expect(`${key} ${effective[key]}`).toBe(`${key} ${value}`);
        }
    } finally {
        session.close();
    }
    const target = vps.targetOn(port);
    const password = await attemptLogin(target, { password: vps.rootPassword });
    expect(password.accepted, "root password login must be refused").toBe(false);
    const keyboard = await attemptLogin(target, { keyboardInteractive: vps.rootPassword });
    expect(keyboard.accepted, "keyboard-interactive login must be refused").toBe(false);
    expect(password.offered).toEqual(["publickey"]);
}

/** ssh-audit (Debian 2.5.0) from outside: no [fail] line, and the project's policy passes. */
export async function expectSshAuditClean(vps: TestVps, port = 22): Promise<void> {
    const where = ["-p", String(port), vps.target.host];
    const audit = await runOutside("ssh-audit", ["-n", ...where]);
    expect(audit.stdout).toContain("(kex) curve25519-sha256");
    expect(audit.stdout.split("\n").filter((line) => line.includes("[fail]"))).toEqual([]);
    const policy = await runOutside("ssh-audit", ["-n", "-P", policyFile(vps.release), ...where]);
    expect(policy.stdout, policy.stdout).toContain("Passed");
    expect(policy.code).toBe(0);
}

/**
 * sshd is socket-activated as on Ubuntu 24.04: ssh.socket is enabled and listens on `port` (and
 * only there), ssh.service is not enabled and was started by the socket.
 */
export async function expectSocketActivatedSshd(session: SshSession, port = 22): Promise<void> {
    expect((await session.exec("systemctl is-enabled ssh.socket")).stdout.trim()).toBe("enabled");
    expect((await session.exec("systemctl is-active ssh.socket")).stdout.trim()).toBe("active");
    expect((await session.exec("systemctl is-enabled ssh.service")).stdout.trim()).toBe("disabled");
    expect((await session.run("systemctl show -P TriggeredBy ssh.service")).trim()).toBe(
        "ssh.socket",
    );
    const listen = (await session.run("systemctl show -P Listen ssh.socket")).trim();
    expect(listen).toMatch(new RegExp(`:${port} \\(Stream\\)`));
    expect(listen.match(/:(\d+) \(Stream\)/g)?.every((l) => l === `:${port} (Stream)`)).toBe(true);
}

/** A TCP connect scan of all 65535 ports from the CI machine's root namespace. */
export async function openTcpPorts(host: string): Promise<number[]> {
    const scan = await runOutside("nmap", [
        "-n",
        "-Pn",
        "-sT",
        "-p-",
        "--min-rate",
        "20000",
        "--max-retries",
        "2",
        "--open",
        "-oG",
        "-",
        host,
    ]);
    if (scan.code !== 0) throw new Error(`nmap failed: ${scan.stderr}`);
    const ports = /Ports: (.*?)(\t|$)/m.exec(scan.stdout)?.[1] ?? "";
    return ports
        .split(",")
        .map((entry) => entry.trim().split("/"))
        .filter((fields) => fields[1] === "open")
        .map((fields) => Number(fields[0]));
}

export async function expectFirewallActive(session: SshSession, sshPort = 22): Promise<void> {
    const ufw = await session.run("ufw status verbose");
    expect(ufw).toMatch(/^Status: active$/m);
    expect(ufw).toMatch(/^Default: deny \(incoming\)/m);
    // Only the SSH port is allowed in (the IPv4 rule and its "(v6)" twin).
    const allowed = ufw.split("\n").filter((line) => / ALLOW IN /.test(line));
    expect(allowed[0]).toMatch(new RegExp(`^${sshPort}/tcp\\s+ALLOW IN\\s+Anywhere\\s`));
    expect(new Set(allowed.map((line) => line.split(/\s+/)[0]))).toEqual(
        new Set([`${sshPort}/tcp`]),
    );
}

/**
 * The compose implementation each release runs the stack with, and how it names containers:
 * Debian 13 the distribution's Compose v2 plugin (as Ubuntu 24.04), Debian 12 docker-compose v1
 * behind the test VPS's shim.
 */
export const composeOf = {
    trixie: {
        version: /^v?2\./,
        plugin: "docker-compose",
        container: (service: string) => `telegram-ecosystem-${service}-1`,
    },
    bookworm: {
        version: /^1\.29\./,
        plugin: "(shim)",
        container: (service: string) => `telegram-ecosystem_${service}_1`,
    },
} as const;

/**
 * Whether `up` also recreates the services that depend on one it recreates: Compose v2 before
 * 2.29.4 does (Debian 13 ships 2.26); later versions only restart dependents marked
 * `depends_on: {restart: true}`, and v1 recreates only what changed. `version` is
 * `docker compose version --short`.
 */
export function recreatesDependents(version: string): boolean {
    const [major = 0, minor = 0, patch = 0] = (/(\d+)\.(\d+)\.(\d+)/.exec(version) ?? [])
        .slice(1)
        .map(Number);
    return major === 2 && (minor < 29 || (minor === 29 && patch < 4));
}

/** The stack runs on the release's compose, with that compose's container names. */
export async function expectComposeOf(
    vps: TestVps,
    session: SshSession,
    services: readonly string[],
) {
    const expected = composeOf[vps.release];
    expect((await session.run("docker compose version --short")).trim()).toMatch(expected.version);
    const owner = await session.exec("dpkg -S /usr/libexec/docker/cli-plugins/docker-compose");
    expect(owner.code === 0 ? owner.stdout.split(":")[0] : "(shim)").toBe(expected.plugin);
    const names = (await session.run("docker ps --format '{{.Names}}'")).trim().split("\n").sort();
    expect(names).toEqual(services.map(expected.container).sort());
}

/** Compose service -> container id, through the stack's own project (.env in the stack dir). */
export async function composeContainers(session: SshSession): Promise<Record<string, string>> {
    const services = (await session.run(`cd ${stackDir} && docker compose config --services`))
        .split("\n")
        .filter(Boolean);
    const ids: Record<string, string> = {};
    for (const service of services) {
        ids[service] = (
            await session.run(`cd ${stackDir} && docker compose ps -q ${service}`)
        ).trim();
    }
    return ids;
}

/** Every compose service has a running container whose healthcheck reports healthy. */
export async function waitForHealthyStack(session: SshSession, timeoutMs = 180_000) {
    const deadline = Date.now() + timeoutMs;
    let states: Record<string, string> = {};
    while (Date.now() < deadline) {
        const ids = await composeContainers(session);
        states = {};
        for (const [service, id] of Object.entries(ids)) {
            states[service] =
                id === ""
                    ? "missing"
                    : (
                          await session.run(
                              `docker inspect -f '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}' ${id}`,
                          )
                      ).trim();
        }
        if (Object.values(states).every((state) => state === "running/healthy")) return states;
        await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    return states;
}

/** Container start times per service: a restart or a recreate changes them. */
export async function startTimes(session: SshSession): Promise<Record<string, string>> {
    const ids = await composeContainers(session);
    const times: Record<string, string> = {};
    for (const [service, id] of Object.entries(ids)) {
        times[service] = (
            await session.run(`docker inspect -f '{{.Id}} {{.State.StartedAt}}' ${id}`)
        ).trim();
    }
    return times;
}

export function psql(session: SshSession, sql: string): Promise<string> {
    return session.run(
        `cd ${stackDir} && docker compose exec -T postgres sh -c 'psql -v ON_ERROR_STOP=1 -At -U "$POSTGRES_USER" -d "$POSTGRES_DB"'`,
        { stdin: sql },
    );
}
