import * as pulumi from "@pulumi/pulumi";
import { Bootstrap } from "./components/bootstrap";
import { BotImage } from "./components/bot-image";
import { ComposeStack } from "./components/compose-stack";
import { sshConnection } from "./components/connection";
import { remoteDockerProvider } from "./components/docker-provider";
import { DockerEngine } from "./components/docker-engine";
import { operationsOutputs } from "./components/plan/operations-plan";
import { preflightGatedHost } from "./components/preflight";
import { loadStack } from "./components/stack-config";
import { targetHost, targetOutputs } from "./components/target-host";

// Composition root: config -> components -> outputs.
// Invalid config throws here, before any resource exists.
const { config, secrets, connectionKey } = loadStack();
// `host`/`hostKey` from config, or a VPS created through the Timeweb API (timeweb.createServer).
const target = targetHost(config, secrets.timewebToken);
// On `pulumi up`, nothing dials the server before the preflight passed.
const gated = {
    host: preflightGatedHost({
        config,
        target,
        ...(connectionKey === undefined ? {} : { connectionKey }),
        ...(secrets.sshPrivateKey === undefined ? {} : { sshPrivateKey: secrets.sshPrivateKey }),
    }),
    ...(target.hostKey === undefined ? {} : { hostKey: target.hostKey }),
};
const connection = sshConnection(
    config,
    gated,
    secrets.sshPrivateKey === undefined
        ? undefined
        : {
              privateKey: secrets.sshPrivateKey,
              ...(secrets.sshPrivateKeyPassword === undefined
                  ? {}
                  : { privateKeyPassword: secrets.sshPrivateKeyPassword }),
          },
);

const bootstrap = new Bootstrap("host", { config, connection });
const engine = new DockerEngine("engine", { config, connection }, { dependsOn: [bootstrap] });

const dockerProvider = remoteDockerProvider("vps-docker", config, gated);
const images = config.bots.map((bot) => {
    const args = { bot, provider: dockerProvider };
    return new BotImage(bot.name, args, { dependsOn: [engine] });
});
const imageIds = Object.fromEntries(
    config.bots.map((bot, index) => [bot.name, images[index]!.imageId]),
);

const stack = new ComposeStack(
    "stack",
    {
        config,
        connection,
        botApiHash: secrets.botApiHash,
        botTokens: secrets.botTokens,
        botImages: imageIds,
        ...(secrets.offsiteKeys === undefined ? {} : { offsiteKeys: secrets.offsiteKeys }),
    },
    { dependsOn: [engine, ...images] },
);

const where = targetOutputs(config, target);
export const host = where.host;
export const hostKey = where.hostKey;
export const sshCommand = where.sshCommand;
export const vpsIpv4 = where.vpsIpv4;
export const vpsHostKeyFingerprint = where.vpsHostKeyFingerprint;
export const vpsMonthlyPriceRub = where.vpsMonthlyPriceRub;
export const stackDir = config.stackDir;
export const services = stack.services;
export const botImageIds = pulumi.all(imageIds);
const operations = operationsOutputs(config);
export const backupSchedule = operations.backupSchedule;
export const backupFolder = operations.backupFolder;
export const backupRetentionDays = operations.backupRetentionDays;
export const monitorInterval = operations.monitorInterval;
export const nextSteps = where.sshCommand.apply((ssh) => [
    `Check the stack: ${ssh} 'cd ${config.stackDir} && docker compose ps'`,
    `Follow a bot's log: ${ssh} 'cd ${config.stackDir} && docker compose logs -f --tail 100 <bot>'`,
    "Rotate the Postgres password: bump postgres.passwordVersion, then pulumi up",
    "Add a bot: append to `bots` (name, schema; token with --secret), then pulumi up",
]);
