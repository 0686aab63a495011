import * as pulumi from "@pulumi/pulumi";
import { Bootstrap } from "./components/bootstrap";
import { BotImage, botBaseImages } from "./components/bot-image";
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
// A bot with `image` set (a rollback to an image kept on the host) is not built.
const images = new Map(
    config.bots
        .filter((bot) => bot.image === undefined)
        .map((bot) => {
            const args = { bot, provider: dockerProvider };
            return [bot.name, new BotImage(bot.name, args, { dependsOn: [engine] })] as const;
        }),
);
const imageIds = Object.fromEntries(
    config.bots.map((bot) => [bot.name, bot.image ?? images.get(bot.name)!.imageId]),
);

const stack = new ComposeStack(
    "stack",
    {
        config,
        connection,
        botApiHash: secrets.botApiHash,
        botTokens: secrets.botTokens,
        botImages: imageIds,
        botBaseImages: Object.fromEntries(config.bots.map((bot) => [bot.name, botBaseImages(bot)])),
        ...(secrets.offsiteKeys === undefined ? {} : { offsiteKeys: secrets.offsiteKeys }),
    },
    { dependsOn: [engine, ...images.values()] },
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
// CHANGED or UNCHANGED per step, as each step last ran.
export const bootstrapSteps = bootstrap.steps;
export const dockerEngineSteps = engine.steps;
export const composeStackSteps = stack.steps;
const operations = operationsOutputs(config);
export const backupSchedule = operations.backupSchedule;
export const backupFolder = operations.backupFolder;
export const backupRetentionDays = operations.backupRetentionDays;
export const monitorInterval = operations.monitorInterval;
export const monitorHeartbeat = operations.monitorHeartbeat;
export const nextSteps = where.sshCommand.apply((ssh) => [
    `Check the stack: ${ssh} 'cd ${config.stackDir} && docker compose ps'`,
    `Follow a bot's log: ${ssh} 'cd ${config.stackDir} && docker compose logs -f --tail 100 <bot>'`,
    "Rotate the Postgres password: bump postgres.passwordVersion, then pulumi up",
    "Add a bot: append to `bots` (name, schema; token with --secret), then pulumi up",
]);
