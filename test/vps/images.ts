import { cpSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { dockerfileBaseImages } from "../../components/plan/dockerfile-bases";
import { buildOrLoadBotImage } from "./bot-image-cache";
import { imageRootfsMount, shareMount } from "./mounts";
import { SshSession } from "./ssh";
import type { TestVps } from "./vps";

/**
 * Local images for the test VPS, built inside the VPS's own Docker engine (the provisioning
 * steps install it). Nothing is pulled from a registry: the bases are imported from the cached
 * Debian root file systems, and node/npm come from the CI machine.
 */
export const localImages = {
    postgresRootfs: "e2e/postgres-rootfs:local",
    nodeRootfs: "e2e/node-rootfs:local",
    postgres: "e2e/postgres:local",
    node: "e2e/node:local",
    fakeBotApi: "e2e/fake-bot-api:1",
    bot: "e2e/mpcabinet-picture-bot:local",
} as const;

const repoDir = resolve(__dirname, "../..");
const hostCaBundle = "/etc/ssl/certs/ca-certificates.crt";
/** Build outputs and dependencies that a bot image build must not see. */
const notInBotContext = new Set(["node_modules", "dist", "coverage"]);

/**
 * Copies the image build contexts into the share dir: the test images, this machine's node and
 * npm, and the bot's directory (its Dockerfile is the real one).
 */
export function prepareImageContexts(shareDir: string): void {
    mkdirSync(shareDir, { recursive: true });
    cpSync(join(__dirname, "images"), shareDir, { recursive: true });
    cpSync(join(repoDir, "bot"), join(shareDir, "bot"), {
        recursive: true,
        filter: (source) => !notInBotContext.has(source.split("/").at(-1) as string),
    });
    const nodeBinary = realpathSync(process.execPath);
    cpSync(nodeBinary, join(shareDir, "node-base/node"));
    const npmDir = resolve(dirname(nodeBinary), "../lib/node_modules/npm");
    cpSync(npmDir, join(shareDir, "node-base/npm"), { recursive: true });
    // The CI machine may reach the npm registry through a TLS-inspecting proxy whose CA only the
    // host trusts: npm inside the image builds gets the host's bundle as extra CAs.
    cpSync(hostCaBundle, join(shareDir, "node-base/host-ca-certificates.crt"));
}

export interface BuiltImages {
    /** Image id of the bot image, per bot name. */
    readonly botImages: Record<string, string>;
    /** What the bot's Dockerfile builds FROM with the build args used here, per bot name. */
    readonly botBaseImages: Record<string, string[]>;
    readonly durationsMs: Record<string, number>;
    /** Sizes in bytes, as `docker image inspect` reports them, of the bot image and its base. */
    readonly botImageBytes: number;
    /** Size of the local Node base the bot image is built FROM. */
    readonly baseImageBytes: number;
}

async function timed(
    durations: Record<string, number>,
    name: string,
    action: () => Promise<unknown>,
) {
    const started = Date.now();
    await action();
    durations[name] = Date.now() - started;
}

/**
 * `docker build` with BuildKit, as the Docker provider builds the bot image on the real server.
 * No Dockerfile here has a `# syntax=` line, so BuildKit uses its built-in frontend and pulls
 * nothing; the bases are local images, which BuildKit's default (docker) builder finds in the
 * engine's own store. On Debian 13 the CLI hands the build to buildx (docker-buildx).
 */
function build(tag: string, context: string, buildArgs: Record<string, string>) {
    const args = Object.entries(buildArgs).map(([key, value]) => `--build-arg ${key}=${value}`);
    return `DOCKER_BUILDKIT=1 docker build -q ${args.join(" ")} -t ${tag} ${context}`;
}

function importRootfs(name: string, tag: string) {
    return `tar -C ${imageRootfsMount}/${name} --numeric-owner -c . | docker import - ${tag}`;
}

/**
 * Builds every local image inside the VPS; the bot image from bot/Dockerfile, or loaded from the
 * archive of the first VPS that built it from the same contexts (bot-image-cache.ts).
 */
export async function buildLocalImages(
    session: SshSession,
    botNames: readonly string[],
    vps: Pick<TestVps, "runDir" | "rootDir" | "rootfsCache">,
): Promise<BuiltImages> {
    const durationsMs: Record<string, number> = {};
    const run = (command: string) => session.run(`set -euo pipefail; ${command}`);
    await timed(durationsMs, "postgres", async () => {
        await run(importRootfs("image-postgres", localImages.postgresRootfs));
        await run(
            build(localImages.postgres, `${shareMount}/postgres`, {
                BASE_IMAGE: localImages.postgresRootfs,
            }),
        );
    });
    await timed(durationsMs, "node", async () => {
        await run(importRootfs("image-node", localImages.nodeRootfs));
        await run(
            build(localImages.node, `${shareMount}/node-base`, {
                BASE_IMAGE: localImages.nodeRootfs,
            }),
        );
    });
    await timed(durationsMs, "fake-bot-api", () =>
        run(
            build(localImages.fakeBotApi, `${shareMount}/fake-bot-api`, {
                NODE_IMAGE: localImages.node,
            }),
        ),
    );
    const botBuildArgs = { NODE_IMAGE: localImages.node };
    const started = Date.now();
    const how = await buildOrLoadBotImage({
        run,
        tag: localImages.bot,
        rootDir: vps.rootDir,
        shareDir: join(vps.runDir, "share"),
        rootfsCache: vps.rootfsCache,
        build: () => run(build(localImages.bot, `${shareMount}/bot`, botBuildArgs)),
    });
    durationsMs[`bot (${how})`] = Date.now() - started;
    const [botId, size, baseSize] = (
        await run(
            `docker image inspect -f '{{.Id}} {{.Size}}' ${localImages.bot} && ` +
                `docker image inspect -f '{{.Size}}' ${localImages.node}`,
        )
    )
        .trim()
        .split(/\s+/);
    const botImages = Object.fromEntries(botNames.map((name) => [name, botId as string]));
    const bases = dockerfileBaseImages(
        readFileSync(join(repoDir, "bot/Dockerfile"), "utf8"),
        botBuildArgs,
    );
    return {
        botImages,
        botBaseImages: Object.fromEntries(botNames.map((name) => [name, bases])),
        durationsMs,
        botImageBytes: Number(size),
        baseImageBytes: Number(baseSize),
    };
}
