import { describe, expect, it } from "vitest";
import {
    preflight,
    PreflightError,
    type PreflightFacts,
} from "../../../components/config/preflight";
import { parsePublicKeyLine, SSHD_MAX_AUTH_TRIES } from "../../../components/config/ssh-keys";
import { fakePublicKey, stackConfig } from "../../helpers/stack-fixtures";

// The preflight's checks over observed facts (the agent, the runner, the host handshake). The
// probes themselves run against real agents and sshds in test/day2/preflight-cli.test.ts and on the
// test VPS (test/e2e/first-deploy.test.ts).

const mine = fakePublicKey("me@laptop");
const others = Array.from({ length: 7 }, (_, index) => fakePublicKey(`other-${index}@laptop`));
const hostKeyLine = fakePublicKey("vps").split(" ").slice(0, 2).join(" ");
const key = (line: string) => parsePublicKeyLine(line);

function facts(overrides: Partial<PreflightFacts> = {}, config = {}): PreflightFacts {
    return {
        config: stackConfig({ operatorKeys: [mine], hostKey: hostKeyLine, ...config }),
        host: "203.0.113.10",
        hostKey: hostKeyLine,
        agent: { socket: "/tmp/agent", keys: [key(mine)] },
        githubHostedRunner: false,
        ...overrides,
    };
}

describe("which key the clients offer", () => {
    it(`passes with ${SSHD_MAX_AUTH_TRIES} agent keys, the right one last, and picks it for Docker`, () => {
        const agentKeys = [...others.slice(0, SSHD_MAX_AUTH_TRIES - 1), mine].map(key);
        const result = preflight(facts({ agent: { socket: "/tmp/agent", keys: agentKeys } }));
        expect(result.problems).toEqual([]);
        expect(result.dockerIdentity).toEqual({ kind: "agent-key", publicKey: key(mine) });
    });

    it("refuses when the right agent key comes after sshd's MaxAuthTries, naming the fixes", () => {
        const agentKeys = [...others.slice(0, SSHD_MAX_AUTH_TRIES), mine].map(key);
        const { problems } = preflight(facts({ agent: { socket: "/tmp/agent", keys: agentKeys } }));
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(
            new RegExp(
                `as number ${SSHD_MAX_AUTH_TRIES + 1} of ${SSHD_MAX_AUTH_TRIES + 1}, and sshd disconnects after ${SSHD_MAX_AUTH_TRIES} refused keys`,
            ),
        );
        expect(problems[0]).toContain("set sshPrivateKey");
        expect(problems[0]).toContain("ssh-add -d");
    });

    it("uses the configured private key first, whatever the agent holds", () => {
        const agentKeys = others.map(key);
        const result = preflight(
            facts({
                agent: { socket: "/tmp/agent", keys: agentKeys },
                connectionKey: { publicKey: key(mine), encrypted: false },
            }),
        );
        expect(result).toEqual({ problems: [], dockerIdentity: { kind: "private-key" } });
    });

    it("needs a passphrase-protected private key in the agent for the Docker provider's ssh", () => {
        const encrypted = { publicKey: key(mine), encrypted: true };
        const missing = preflight(
            facts({ agent: { socket: "/tmp/agent", keys: [] }, connectionKey: encrypted }),
        );
        expect(missing.problems).toEqual([
            expect.stringMatching(
                /has a passphrase, so the Docker provider's ssh needs it in ssh-agent, which does not hold it: ssh-add/,
            ),
        ]);
        const loaded = preflight(facts({ connectionKey: encrypted }));
        expect(loaded).toEqual({
            problems: [],
            dockerIdentity: { kind: "agent-key", publicKey: key(mine) },
        });
    });

    it("stops on an SSH_AUTH_SOCK whose agent does not answer, even with sshPrivateKey", () => {
        const { problems } = preflight(
            facts({
                agent: "connect ENOENT /tmp/gone.sock",
                connectionKey: { publicKey: key(mine), encrypted: false },
            }),
        );
        expect(problems).toEqual([
            expect.stringMatching(
                /^SSH_AUTH_SOCK is set, but its ssh-agent does not answer \(connect ENOENT \/tmp\/gone\.sock\), and the command provider then fails every step/,
            ),
        ]);
    });

    it("asks for a key when there is neither sshPrivateKey nor an agent", () => {
        const { agent: _none, ...withoutAgent } = facts();
        expect(preflight(withoutAgent).problems).toEqual([
            expect.stringMatching(/^no SSH key: neither sshPrivateKey nor ssh-agent/),
        ]);
    });

    it("asks to add the agent's key to operatorKeys when none of them is there", () => {
        const { problems } = preflight(
            facts({ agent: { socket: "/tmp/agent", keys: others.map(key) } }),
        );
        expect(problems).toEqual([
            expect.stringMatching(/^none of the 7 key\(s\) in ssh-agent is in operatorKeys/),
        ]);
        const empty = preflight(facts({}, { operatorKeys: [] }));
        expect(empty.problems).toEqual([expect.stringMatching(/^operatorKeys is empty/)]);
    });
});

describe("where the deploy runs from", () => {
    it("refuses a narrowed sshAllowFrom on a GitHub-hosted runner, whose address changes", () => {
        const narrowed = facts({ githubHostedRunner: true }, { sshAllowFrom: ["198.51.100.0/24"] });
        expect(preflight(narrowed).problems).toEqual([
            "sshAllowFrom (198.51.100.0/24) does not include this GitHub-hosted runner, whose address changes from run to run: keep pulumi config set --path 'sshAllowFrom[0]' any (SSH takes keys only), or deploy from a self-hosted runner inside the allowed network",
        ]);
        expect(
            preflight(facts({ githubHostedRunner: false }, { sshAllowFrom: ["198.51.100.0/24"] }))
                .problems,
        ).toEqual([]);
        expect(preflight(facts({ githubHostedRunner: true })).problems).toEqual([]);
    });
});

describe("the host handshake", () => {
    it("reports an unreachable host with what to check", () => {
        const { problems } = preflight(
            facts({ probe: { reachable: false, error: "Timed out while waiting for handshake" } }),
        );
        expect(problems).toEqual([
            "cannot reach root@203.0.113.10:22 (Timed out while waiting for handshake): check host and sshPort; if sshAllowFrom lists networks, this machine's address must be in one of them",
        ]);
    });

    it("stops on a host key other than the pinned one", () => {
        const other = key(fakePublicKey("impostor"));
        const { problems } = preflight(
            facts({ probe: { reachable: true, hostKey: other, authMethods: ["publickey"] } }),
        );
        expect(problems[0]).toMatch(
            /^host key mismatch for root@203\.0\.113\.10:22: expected SHA256:/,
        );
    });

    it("says how to add an ed25519 host key when the server has none", () => {
        const { problems } = preflight(
            facts({
                probe: { reachable: false, error: "Handshake failed: no matching host key format" },
            }),
        );
        expect(problems[0]).toMatch(/offers no ssh-ed25519 host key.*ssh-keygen -A/);
    });

    it("passes when the pinned key answers and key login is offered", () => {
        const probe = {
            reachable: true as const,
            hostKey: key(hostKeyLine),
            authMethods: ["publickey", "password"],
        };
        expect(preflight(facts({ probe })).problems).toEqual([]);
        expect(
            preflight(facts({ probe: { ...probe, authMethods: ["password"] } })).problems,
        ).toEqual([
            "root@203.0.113.10:22 does not offer key login (offers: password): authorise your key once from the Timeweb console or with ssh-copy-id",
        ]);
    });
});

describe("PreflightError", () => {
    it("keeps its message when the Pulumi SDK prefixes it once per resource", () => {
        const error = new PreflightError(["one", "two"]);
        const before = error.message;
        error.message = `error serializing property "connection": ${error.message}`;
        expect(error.message).toBe(before);
        expect(before).toContain("  - one\n  - two\n");
    });
});
