import type { StackConfig } from "./config";
import {
    describeKey,
    fingerprint,
    parsePublicKeyLine,
    sameKey,
    SSHD_MAX_AUTH_TRIES,
    type SshPublicKey,
} from "./ssh-keys";

/**
 * The preflight: what must hold on the machine that deploys before any step touches sshd, so
 * that the first deploy neither fails halfway nor locks the operator out. It takes what was
 * observed (the connection key, the ssh-agent, the runner, one SSH handshake with the host) and
 * returns every problem with its fix, plus the key the Docker provider's ssh must offer.
 * The stack config itself (key types and sizes, the host key type, the port plan) is checked
 * earlier, by parseStack; `npm run preflight` runs both.
 */

/** The public half of sshPrivateKey and whether it has a passphrase (never the key itself). */
export interface ConnectionKey {
    readonly publicKey: SshPublicKey;
    readonly encrypted: boolean;
}

/** The keys an ssh-agent holds, in the order it offers them. */
export interface AgentKeys {
    readonly socket: string;
    readonly keys: readonly SshPublicKey[];
}

/** One unauthenticated SSH handshake with the host, offering only the ed25519 host key type. */
export type HostProbe =
    | {
          readonly reachable: true;
          readonly hostKey: SshPublicKey;
          readonly authMethods: readonly string[];
      }
    | { readonly reachable: false; readonly error: string };

export interface PreflightFacts {
    readonly config: StackConfig;
    /** Where the program connects (config.host, or the IPv4 of a server created just now). */
    readonly host: string;
    /** The pinned host key line (config.hostKey, or the one pinned on the new server's first boot). */
    readonly hostKey?: string;
    readonly connectionKey?: ConnectionKey;
    /** undefined: SSH_AUTH_SOCK is not set; a string: the agent could not be asked. */
    readonly agent?: AgentKeys | string;
    /** GitHub Actions on a GitHub-hosted runner (addresses change from run to run). */
    readonly githubHostedRunner: boolean;
    /** Absent when the host was not probed (a dry run). */
    readonly probe?: HostProbe;
}

/**
 * Which key the Docker provider's OpenSSH offers (`IdentitiesOnly` + `IdentityFile`): the
 * configured private key itself, or the public key of the agent key to pick from the agent.
 */
export type DockerIdentity =
    | { readonly kind: "private-key" }
    | { readonly kind: "agent-key"; readonly publicKey: SshPublicKey };

export interface PreflightResult {
    readonly problems: readonly string[];
    readonly dockerIdentity?: DockerIdentity;
}

const ANYWHERE = new Set(["any", "0.0.0.0/0", "::/0"]);

function operatorKeys(config: StackConfig): SshPublicKey[] {
    return config.operatorKeys.map((line) => parsePublicKeyLine(line));
}

function isOperatorKey(config: StackConfig, key: SshPublicKey): boolean {
    return operatorKeys(config).some((known) => sameKey(known, key));
}

/** The keys the command provider offers, in its order: privateKey first, then every agent key. */
function keySelection(facts: PreflightFacts): {
    problems: string[];
    dockerIdentity?: DockerIdentity;
} {
    const { config, connectionKey, agent } = facts;
    if (typeof agent === "string") {
        // The command provider dials SSH_AUTH_SOCK whenever it is set, before any key is tried.
        return {
            problems: [
                `SSH_AUTH_SOCK is set, but its ssh-agent does not answer (${agent}), and the command ` +
                    "provider then fails every step, even with sshPrivateKey: start the agent again " +
                    '(eval "$(ssh-agent)" && ssh-add <key file>) or unset SSH_AUTH_SOCK',
            ],
        };
    }
    const agentKeys = agent?.keys ?? [];
    if (connectionKey !== undefined) {
        if (!connectionKey.encrypted)
            return { problems: [], dockerIdentity: { kind: "private-key" } };
        // OpenSSH (the Docker provider's ssh) cannot ask for the passphrase: it takes the key from the agent.
        const loaded = agentKeys.some((key) => sameKey(key, connectionKey.publicKey));
        return loaded
            ? {
                  problems: [],
                  dockerIdentity: { kind: "agent-key", publicKey: connectionKey.publicKey },
              }
            : {
                  problems: [
                      `sshPrivateKey (${describeKey(connectionKey.publicKey)}) has a passphrase, so the ` +
                          "Docker provider's ssh needs it in ssh-agent, which " +
                          (agent === undefined ? "is not running" : "does not hold it") +
                          ": ssh-add <key file> (with SSH_AUTH_SOCK set for pulumi)",
                  ],
              };
    }
    if (agent === undefined) {
        return {
            problems: [
                "no SSH key: neither sshPrivateKey nor ssh-agent (SSH_AUTH_SOCK is not set): " +
                    'eval "$(ssh-agent)" && ssh-add ~/.ssh/id_ed25519, or pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519',
            ],
        };
    }
    if (config.operatorKeys.length === 0) {
        return {
            problems: [
                "operatorKeys is empty, so nothing tells which ssh-agent key logs in (and nothing keeps it authorised): " +
                    "pulumi config set --path 'operatorKeys[0]' \"$(cat ~/.ssh/id_ed25519.pub)\"",
            ],
        };
    }
    const index = agentKeys.findIndex((key) => isOperatorKey(config, key));
    if (index === -1) {
        return {
            problems: [
                `none of the ${agentKeys.length} key(s) in ssh-agent is in operatorKeys: ` +
                    "ssh-add the key whose .pub is in operatorKeys, or add yours: " +
                    "pulumi config set --path 'operatorKeys[N]' \"$(cat ~/.ssh/id_ed25519.pub)\"",
            ],
        };
    }
    const selected = agentKeys[index] as SshPublicKey;
    if (index + 1 > SSHD_MAX_AUTH_TRIES) {
        return {
            problems: [
                `ssh-agent offers your key (${describeKey(selected)}) as number ${index + 1} of ` +
                    `${agentKeys.length}, and sshd disconnects after ${SSHD_MAX_AUTH_TRIES} refused keys ` +
                    "(the command provider offers agent keys in agent order): set sshPrivateKey " +
                    "(pulumi config set --secret sshPrivateKey < <key file>), or remove other keys " +
                    "from the agent (ssh-add -d <key file>)",
            ],
        };
    }
    return { problems: [], dockerIdentity: { kind: "agent-key", publicKey: selected } };
}

/** Hosted runners connect from addresses nobody can list in a firewall. */
function runnerProblems(facts: PreflightFacts): string[] {
    if (!facts.githubHostedRunner) return [];
    const problems: string[] = [];
    if (!facts.config.sshAllowFrom.some((source) => ANYWHERE.has(source))) {
        problems.push(
            `sshAllowFrom (${facts.config.sshAllowFrom.join(", ")}) does not include this ` +
                "GitHub-hosted runner, whose address changes from run to run: keep " +
                "pulumi config set --path 'sshAllowFrom[0]' any (SSH takes keys only), or deploy " +
                "from a self-hosted runner inside the allowed network",
        );
    }
    const firewall =
        facts.config.timeweb?.createServer === true
            ? facts.config.timeweb.firewall.allowSshFrom
            : undefined;
    if (firewall !== undefined && !firewall.some((source) => ANYWHERE.has(source))) {
        problems.push(
            `timeweb.firewall.allowSshFrom (${firewall.join(", ")}) does not include this ` +
                "GitHub-hosted runner, whose address changes from run to run: " +
                "pulumi config set --path 'timeweb.firewall.allowSshFrom[0]' 0.0.0.0/0, or deploy " +
                "from a self-hosted runner inside the allowed network",
        );
    }
    return problems;
}

function probeProblems(facts: PreflightFacts): string[] {
    const { probe, config } = facts;
    if (probe === undefined) return [];
    const where = `${config.sshUser}@${facts.host}:${config.sshPort}`;
    if (!probe.reachable) {
        if (/no matching host key|host key/i.test(probe.error)) {
            return [
                `${where} offers no ssh-ed25519 host key, the only type every client can pin ` +
                    "(hostKey): on the server run `ssh-keygen -A` and make sure sshd loads " +
                    "/etc/ssh/ssh_host_ed25519_key, then npm run trust-host",
            ];
        }
        return [
            `cannot reach ${where} (${probe.error}): check host and sshPort; if sshAllowFrom` +
                (config.timeweb?.createServer === true ? " or timeweb.firewall.allowSshFrom" : "") +
                " lists networks, this machine's address must be in one of them",
        ];
    }
    const problems: string[] = [];
    if (facts.hostKey !== undefined) {
        const pinned = parsePublicKeyLine(facts.hostKey);
        if (!sameKey(pinned, probe.hostKey)) {
            problems.push(
                `host key mismatch for ${where}: expected ${fingerprint(pinned)} (hostKey), but ` +
                    `the server presented ${fingerprint(probe.hostKey)}. If the server was rebuilt, ` +
                    "re-run npm run trust-host after checking the fingerprint in the Timeweb " +
                    "console; otherwise someone may be intercepting the connection: stop",
            );
        }
    }
    if (!probe.authMethods.includes("publickey")) {
        problems.push(
            `${where} does not offer key login (offers: ${probe.authMethods.join(", ") || "nothing"}): ` +
                "authorise your key once from the Timeweb console or with ssh-copy-id",
        );
    }
    return problems;
}

export function preflight(facts: PreflightFacts): PreflightResult {
    const selection = keySelection(facts);
    return {
        problems: [...selection.problems, ...runnerProblems(facts), ...probeProblems(facts)],
        ...(selection.dockerIdentity === undefined
            ? {}
            : { dockerIdentity: selection.dockerIdentity }),
    };
}

/** Thrown by the program when the preflight finds problems; lists every one with its fix. */
export class PreflightError extends Error {
    constructor(readonly problems: readonly string[]) {
        super();
        this.name = "PreflightError";
        const message =
            `Preflight failed before any step touched the server (${problems.length} ` +
            `problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((problem) => `  - ${problem}`).join("\n") +
            "\nFix them and run the command again (npm run preflight checks without deploying).";
        // The program rejects every step's connection with this one error, and the Pulumi SDK
        // prefixes its message once per resource ("error serializing property ..."): keep it as
        // written, so the operator reads the problems, not dozens of prefixes.
        Object.defineProperty(this, "message", {
            get: () => message,
            set: () => undefined,
            enumerable: false,
        });
    }
}
