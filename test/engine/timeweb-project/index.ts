import * as pulumi from "@pulumi/pulumi";
import { parseTimewebConfig } from "../../../components/timeweb/config";
import { TimewebServer } from "../../../components/timeweb/timeweb-server";

// The Timeweb part of index.ts (components/target-host.ts) with the same config keys, pointed at
// the loopback fake API: the only difference is `apiEndpoint` and a short status poll.
const config = new pulumi.Config();
const server = new TimewebServer("vps", {
    config: parseTimewebConfig(config.requireObject("timeweb")),
    token: new pulumi.Config("timeweb").requireSecret("token"),
    sshPort: config.getNumber("sshPort") ?? 22,
    providerOptions: { endpoint: config.require("apiEndpoint"), pollIntervalMs: 100 },
});

export const vpsIpv4 = server.ipv4;
export const vpsServerId = server.serverId;
export const vpsHostKey = server.hostKey;
export const vpsHostKeyFingerprint = server.hostKeyFingerprint;
export const vpsMonthlyPriceRub = server.monthlyPriceRub;
