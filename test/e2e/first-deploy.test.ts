import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStack, StackConfigError, type StackConfig } from "../../components/config/config";
import { runPreflight } from "../../components/preflight-probes";
import { SSHD_MAX_AUTH_TRIES } from "../../components/config/ssh-keys";
import { dockerSshOpts, knownHostsLine } from "../../components/docker-provider";
import { planGroups } from "../../components/plan/plan";
import { placeholderRuntime } from "../../components/plan/runtime-values";
import type { Step } from "../../components/plan/step";
import {
    commandProviderClient,
    runCommand,
    type CommandConnection,
} from "../helpers/command-provider-client";
import { startAgent, type PrivateAgent } from "../helpers/ssh-agent";
import { generateKey, type GeneratedKey } from "../helpers/ssh-keygen";
import { rawConfig } from "../helpers/stack-fixtures";
import { applySteps, StepFailedError } from "../vps/applier";
import { e2eConfig } from "../vps/provision";
import { attemptLogin } from "../vps/ssh";
import { TestVps } from "../vps/vps";

/**
 * The first real deploy's SSH risks, on a fresh test VPS whose cloud-init re-enables passwords
 * for outside addresses with a `Match Address` block: the bootstrap of the real plan is applied,
 * then the clients connect as `pulumi up`'s do: the command provider's client
 * (test/ssh-clients/command-provider) and OpenSSH with the Docker provider's ssh options.
 */

const log = (line: string) => console.log(`[first-deploy] ${line}`);
const PASSPHRASE = "operator passphrase, test only";
const CLOUD_INIT = "/etc/ssh/sshd_config.d/50-cloud-init.conf";
const MATCH_BLOCK =
    "\nMatch Address *,!127.0.0.1\n    PasswordAuthentication yes\n    KbdInteractiveAuthentication yes\n";

let vps: TestVps;
let scratch: string;
let config: StackConfig;
let bootstrap: Step[];
let hostKeyEd25519: string;
let keys: Record<"mine" | "rsa2048" | "rsa3072" | "encrypted", GeneratedKey>;
let others: GeneratedKey[];
const agents: PrivateAgent[] = [];

async function agentWith(
    ...items: { key: GeneratedKey; passphrase?: string }[]
): Promise<PrivateAgent> {
    const agent = await startAgent();
    agents.push(agent);
    for (const item of items) agent.add(item.key.privatePath, item.passphrase);
    return agent;
}

const host = () => vps.target.host;
const connection = (overrides: Partial<CommandConnection>): CommandConnection => ({
    host: host(),
    port: 22,
    hostKey: hostKeyEd25519,
    agentSocket: "",
    ...overrides,
});

/** OpenSSH as the Docker provider runs it (its sshOpts, then `-l root -p 22 -- <host> <cmd>`). */
function dockerSsh(identity: string, agentSocket = ""): { code: number | null; stderr: string } {
    const knownHosts = join(scratch, "known_hosts");
    writeFileSync(knownHosts, `${knownHostsLine(host(), 22, hostKeyEd25519)}\n`);
    const args = [
        "-F",
        "/dev/null",
        ...dockerSshOpts({ knownHosts, identity }),
        "-l",
        "root",
        "-p",
        "22",
        "--",
        host(),
        "true",
    ];
    const result = spawnSync("ssh", args, {
        env: { PATH: process.env.PATH, HOME: scratch, SSH_AUTH_SOCK: agentSocket },
        encoding: "utf8",
        timeout: 60_000,
    });
    return { code: result.status, stderr: result.stderr };
}

async function onVps(command: string): Promise<string> {
    const session = await vps.session();
    try {
        return await session.run(command);
    } finally {
        session.close();
    }
}

beforeAll(async () => {
    commandProviderClient();
    scratch = mkdtempSync(join(tmpdir(), "first-deploy-"));
    keys = {
        mine: generateKey(scratch, "mine", { type: "ed25519" }),
        rsa2048: generateKey(scratch, "rsa2048", { type: "rsa", bits: 2048 }),
        rsa3072: generateKey(scratch, "rsa3072", { type: "rsa", bits: 3072 }),
        encrypted: generateKey(scratch, "encrypted", { type: "ed25519", passphrase: PASSPHRASE }),
    };
    others = Array.from({ length: SSHD_MAX_AUTH_TRIES }, (_, i) =>
        generateKey(scratch, `other${i}`, { type: "ed25519" }),
    );

    vps = await TestVps.create({ sshMode: "service", log });
    // What a provider image or cloud-init may leave behind: passwords on for outside addresses.
    await onVps(
        `printf '%s' '${MATCH_BLOCK}' >> ${CLOUD_INIT} && sshd -t && systemctl restart ssh.service`,
    );
    // An old 2048-bit RSA key authorised by hand, outside the managed block.
    await onVps(`echo '${keys.rsa2048.publicLine}' >> /root/.ssh/authorized_keys`);
    const baseline = await attemptLogin(vps.target, { password: vps.rootPassword });
    expect(baseline.accepted, "before the deploy the Match block lets the root password in").toBe(
        true,
    );

    const vpsKey = readFileSync(join(vps.runDir, "id_ed25519.pub"), "utf8").trim();
    config = e2eConfig(vps, {
        operatorKeys: [
            vpsKey,
            keys.mine.publicLine,
            keys.rsa3072.publicLine,
            keys.encrypted.publicLine,
        ],
    });
    hostKeyEd25519 = config.hostKey as string;
    bootstrap = planGroups(config, placeholderRuntime(config)).bootstrap;
    await applySteps(
        () => vps.session(),
        bootstrap,
        (record) => log(`${record.id.padEnd(30)} ${record.outcome}`),
    );
}, 900_000);

afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await vps?.destroy();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("passwords", () => {
    it("are refused from outside despite cloud-init's `Match Address` block", async () => {
        expect(await onVps(`cat ${CLOUD_INIT}`)).toContain("Match Address *,!127.0.0.1");
        expect((await attemptLogin(vps.target, { password: vps.rootPassword })).accepted).toBe(
            false,
        );
        expect(
            (await attemptLogin(vps.target, { keyboardInteractive: vps.rootPassword })).accepted,
        ).toBe(false);
    });

    it("a drop-in without the Match guard fails the outside check and is rolled back", async () => {
        const hardening = bootstrap.find((step) => step.id === "sshd-hardening") as Step;
        const unguarded = (hardening.stdin as string).replace(/\nMatch all\n[\s\S]*$/, "\n");
        expect(unguarded).not.toContain("Match all");
        const before = await onVps("sha256sum /etc/ssh/sshd_config.d/00-hardening.conf");
        const failure = await applySteps(
            () => vps.session(),
            [{ ...hardening, stdin: unguarded }],
        ).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(StepFailedError);
        expect((failure as StepFailedError).stderr).toContain(
            "'passwordauthentication no' is not in effect for a connection from the internet: a Match block",
        );
        expect((failure as StepFailedError).stderr).toContain("rolled back");
        expect(await onVps("sha256sum /etc/ssh/sshd_config.d/00-hardening.conf")).toBe(before);
        expect((await attemptLogin(vps.target, { password: vps.rootPassword })).accepted).toBe(
            false,
        );
    });
});

describe("operator keys", () => {
    it("log in with ed25519 and 3072-bit RSA; the 2048-bit RSA key the config refuses is refused by sshd", async () => {
        expect(
            (await attemptLogin(vps.target, { privateKey: keys.mine.privateKey })).accepted,
        ).toBe(true);
        expect(
            (await attemptLogin(vps.target, { privateKey: keys.rsa3072.privateKey })).accepted,
        ).toBe(true);
        expect(
            (await attemptLogin(vps.target, { privateKey: keys.rsa2048.privateKey })).accepted,
        ).toBe(false);
        const problems = (() => {
            try {
                parseStack(rawConfig({ operatorKeys: [keys.rsa2048.publicLine] }), {});
                return [];
            } catch (error) {
                return (error as StackConfigError).problems;
            }
        })();
        expect(problems).toEqual([expect.stringMatching(/^operatorKeys\[0\]: a 2048-bit RSA key/)]);
    });
});

describe(`an ssh-agent with ${SSHD_MAX_AUTH_TRIES} keys, the right one last`, () => {
    it("lets the command provider's client run every step, connection after connection", async () => {
        const agent = await agentWith(
            ...others.slice(0, SSHD_MAX_AUTH_TRIES - 1).map((key) => ({ key })),
            { key: keys.mine },
        );
        // More connections than fail2ban's maxretry: refused agent keys must not get us banned.
        for (let i = 0; i < 8; i++) {
            const result = await runCommand(connection({ agentSocket: agent.socket }), "echo ok");
            expect(result.stderr).toBe("");
            expect(result.stdout).toBe("ok\n");
        }
        expect(
            (await attemptLogin(vps.target, { privateKey: keys.mine.privateKey })).accepted,
        ).toBe(true);
    });

    it("passes the preflight, which picks that key for the Docker provider", async () => {
        const agent = await agentWith(
            ...others.slice(0, SSHD_MAX_AUTH_TRIES - 1).map((key) => ({ key })),
            { key: keys.mine },
        );
        const result = await runPreflight(
            config,
            { host: host(), hostKey: hostKeyEd25519 },
            undefined,
            {
                env: { SSH_AUTH_SOCK: agent.socket },
                probeHost: true,
            },
        );
        expect(result.problems).toEqual([]);
        expect(result.dockerIdentity?.kind).toBe("agent-key");
    });

    it("one key more is refused by sshd, as the preflight predicts", async () => {
        const agent = await agentWith(...others.map((key) => ({ key })), { key: keys.mine });
        const result = await runCommand(connection({ agentSocket: agent.socket }), "echo ok");
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain("Too many authentication failures");
        const preflight = await runPreflight(
            config,
            { host: host(), hostKey: hostKeyEd25519 },
            undefined,
            {
                env: { SSH_AUTH_SOCK: agent.socket },
                probeHost: true,
            },
        );
        expect(preflight.problems).toEqual([
            expect.stringContaining(
                `as number ${SSHD_MAX_AUTH_TRIES + 1} of ${SSHD_MAX_AUTH_TRIES + 1}`,
            ),
        ]);
    });
});

describe("the Docker provider's ssh", () => {
    it("offers only the selected agent key, however many keys the agent holds", async () => {
        const agent = await agentWith(...others.map((key) => ({ key })), { key: keys.mine });
        const identity = join(scratch, "selected.pub");
        writeFileSync(identity, `${keys.mine.publicLine}\n`, { mode: 0o600 });
        const result = dockerSsh(identity, agent.socket);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
    });

    it("uses sshPrivateKey itself when the agent does not hold it (after a key rotation)", async () => {
        const agent = await agentWith(...others.map((key) => ({ key })));
        const result = dockerSsh(keys.mine.privatePath, agent.socket);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
    });

    it("takes a passphrase-protected key from the agent; the command provider uses privateKeyPassword", async () => {
        const agent = await agentWith({ key: keys.encrypted, passphrase: PASSPHRASE });
        const identity = join(scratch, "encrypted-selected.pub");
        writeFileSync(identity, `${keys.encrypted.publicLine}\n`, { mode: 0o600 });
        expect(dockerSsh(identity, agent.socket).code).toBe(0);
        const direct = await runCommand(
            connection({
                privateKeyFile: keys.encrypted.privatePath,
                privateKeyPassword: PASSPHRASE,
            }),
            "echo ok",
        );
        expect(direct.stdout).toBe("ok\n");
    });
});

describe("the pinned host key", () => {
    it("works as ed25519; pinned as RSA, the command provider finds no common algorithm", async () => {
        const rsaHostKey = (await onVps("cat /etc/ssh/ssh_host_rsa_key.pub"))
            .trim()
            .split(" ")
            .slice(0, 2)
            .join(" ");
        const rsa = await runCommand(
            connection({ hostKey: rsaHostKey, privateKeyFile: keys.mine.privatePath }),
            "echo ok",
        );
        expect(rsa.stderr).toContain("no common algorithm for host key; we offered: [ssh-rsa]");
        const ed25519 = await runCommand(
            connection({ privateKeyFile: keys.mine.privatePath }),
            "echo ok",
        );
        expect(ed25519.stdout).toBe("ok\n");
    });
});

describe("sshAllowFrom narrowed to a network the deploying machine is not in", () => {
    it("makes the preflight stop at once, naming sshAllowFrom (not 30 dial attempts later)", async () => {
        const narrowed = e2eConfig(vps, {
            operatorKeys: config.operatorKeys,
            sshAllowFrom: ["192.0.2.0/24"],
        });
        const ufw = planGroups(narrowed, placeholderRuntime(narrowed)).bootstrap.find(
            (step) => step.id === "ufw",
        ) as Step;
        await applySteps(() => vps.session(), [ufw]);
        const agent = await agentWith({ key: keys.mine });
        const result = await runPreflight(
            narrowed,
            { host: host(), hostKey: hostKeyEd25519 },
            undefined,
            {
                env: { SSH_AUTH_SOCK: agent.socket },
                probeHost: true,
            },
        );
        expect(result.problems).toEqual([
            expect.stringMatching(
                new RegExp(
                    `^cannot reach root@${host().replace(/\./g, "\\.")}:22 \\(.+\\): check host and sshPort; if sshAllowFrom lists networks`,
                ),
            ),
        ]);
    });
});
