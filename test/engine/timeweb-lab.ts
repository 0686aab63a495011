/*
 * The world the Timeweb component talks to, for the real-engine test: the loopback fake Timeweb
 * API and, as every server's first boot, a private sshd showing the ready banner. Runs inside a
 * network namespace of its own (the test starts it under `unshare --net`), where the fake's
 * floating IPs (192.0.2.0/24, routed to lo) and port 22 are private; `pulumi` runs in the same
 * namespace through nsenter. Not a test itself.
 *
 * Protocol: one JSON line out when ready ({hostKey, hostKeyFile}); then one JSON line in per
 * command and one out per answer: "api-up" starts the API on API_PORT, "rotate-token" issues a new
 * token and revokes the old, "state" reports what the fake holds. Closing stdin ends the lab.
 */
import { createInterface } from "node:readline";
import { DEFAULT_READY_BANNER } from "../../components/timeweb/cloud-init";
import { FakeTimewebApi } from "../helpers/fake-timeweb-api";
import { PrivateSshd } from "../helpers/private-sshd";
import { API_PORT, type LabState } from "./timeweb-lab-protocol";

async function main(): Promise<void> {
    const fake = new FakeTimewebApi();
    const sshd = new PrivateSshd({ port: 22, listenAddress: "0.0.0.0" });
    await sshd.start({
        hostKey: "vps",
        banner: DEFAULT_READY_BANNER,
        passwordAuthentication: false,
    });
    const answer = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
    answer({ hostKey: sshd.publicKey("vps"), hostKeyFile: `${sshd.dir}/vps` });

    for await (const line of createInterface({ input: process.stdin })) {
        const command = line.trim();
        if (command === "api-up") {
            await fake.start(API_PORT);
            answer({ url: fake.url, token: fake.token });
        } else if (command === "rotate-token") {
            answer({ token: fake.rotateToken() });
        } else if (command === "state") {
            const state: LabState = {
                token: fake.token,
                servers: [...fake.servers.values()].map((s) => ({ id: s.id, name: s.name })),
                floatingIps: [...fake.floatingIps.values()].map((ip) => ({
                    id: ip.id,
                    ip: ip.ip,
                    resourceId: ip.resource_id,
                })),
                sshKeys: [...fake.sshKeys.keys()],
                firewallGroups: [...fake.groups.keys()],
                requests: fake.requests.map((r) => ({ method: r.method, path: r.path })),
            };
            answer(state);
        } else {
            answer({ error: `unknown command ${command}` });
        }
    }
    await sshd.destroy();
    if (fake.url !== "") await fake.close();
}

void main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
});
