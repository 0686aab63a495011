import { execFile } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { SSHD_MAX_AUTH_TRIES } from "../../components/config/ssh-keys";
import { attemptLogin, SshSession } from "../vps/ssh";
import { TestVps } from "../vps/vps";

/** Checks shared by the scenarios; each reads the VPS from outside or through a root session. */

export const stackDir = "/opt/telegram-ecosystem";
const policyFile = join(__dirname, "fixtures/ssh-audit-policy.txt");

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

/** Key login works; password and keyboard-interactive logins are refused; sshd -T is hardened. */
export async function expectHardenedSsh(vps: TestVps): Promise<void> {
    const session = await vps.session();
    try {
        expect((await session.run("id -un")).trim()).toBe("root");
        const effective = await effectiveSshd(session);
        for (const [key, value] of Object.entries(hardenedSshd)) {
            expect(`${key} ${effective[key]}`).toBe(`${key} ${value}`);
        }
    } finally {
        session.close();
    }
    const password = await attemptLogin(vps.target, { password: vps.rootPassword });
    expect(password.accepted, "root password login must be refused").toBe(false);
    const keyboard = await attemptLogin(vps.target, { keyboardInteractive: vps.rootPassword });
    expect(keyboard.accepted, "keyboard-interactive login must be refused").toBe(false);
    expect(password.offered).toEqual(["publickey"]);
}

/** ssh-audit (Debian 2.5.0) from outside: no [fail] line, and the project's policy passes. */
export async function expectSshAuditClean(vps: TestVps): Promise<void> {
    const audit = await runOutside("ssh-audit", ["-n", vps.target.host]);
    expect(audit.stdout).toContain("(kex) curve25519-sha256");
    expect(audit.stdout.split("\n").filter((line) => line.includes("[fail]"))).toEqual([]);
    const policy = await runOutside("ssh-audit", ["-n", "-P", policyFile, vps.target.host]);
    expect(policy.stdout, policy.stdout).toContain("Passed");
    expect(policy.code).toBe(0);
}

/** A TCP connect scan of all 65535 ports from the CI machine's root namespace. */
export async function openTcpPorts(host: string): Promise<number[]> {
    const scan = await runOutside("nmap", [
        "-n", "-Pn", "-sT", "-p-", "--min-rate", "20000", "--max-retries", "2", "--open",
        "-oG", "-", host,
    ]);
    if (scan.code !== 0) throw new Error(`nmap failed: ${scan.stderr}`);
    const ports = /Ports: (.*?)(\t|$)/m.exec(scan.stdout)?.[1] ?? "";
    return ports
        .split(",")
        .map((entry) => entry.trim().split("/"))
        .filter((fields) => fields[1] === "open")
        .map((fields) => Number(fields[0]));
}

export async function expectFirewallActive(session: SshSession): Promise<void> {
    const ufw = await session.run("ufw status verbose");
    expect(ufw).toMatch(/^Status: active$/m);
    expect(ufw).toMatch(/^Default: deny \(incoming\)/m);
    expect(ufw).toMatch(/^22\/tcp\s+ALLOW IN\s+Anywhere/m);
}

/** Compose service -> container id, through the stack's own project (.env in the stack dir). */
export async function composeContainers(session: SshSession): Promise<Record<string, string>> {
    const services = (await session.run(`cd ${stackDir} && docker compose config --services`))
        .split("\n").filter(Boolean);
    const ids: Record<string, string> = {};
    for (const service of services) {
        ids[service] = (await session.run(`cd ${stackDir} && docker compose ps -q ${service}`)).trim();
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
            states[service] = id === ""
                ? "missing"
                : (await session.run(`docker inspect -f '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}' ${id}`)).trim();
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
        times[service] = (await session.run(`docker inspect -f '{{.Id}} {{.State.StartedAt}}' ${id}`)).trim();
    }
    return times;
}

export function psql(session: SshSession, sql: string): Promise<string> {
    return session.run(
        `cd ${stackDir} && docker compose exec -T postgres sh -c 'psql -v ON_ERROR_STOP=1 -At -U "$POSTGRES_USER" -d "$POSTGRES_DB"'`,
        { stdin: sql },
    );
}
