import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { BotConfig } from "./config/config";
import { dockerfileBaseImages } from "./plan/dockerfile-bases";

export interface BotImageArgs {
    readonly bot: BotConfig;
    readonly provider: docker.Provider;
}

/** Builds a bot's image on the VPS daemon (no registry, no push); `imageId` is `sha256:...`. */
export class BotImage extends pulumi.ComponentResource {
    public readonly imageId: pulumi.Output<string>;

    constructor(name: string, args: BotImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("timeweb:vps:BotImage", name, {}, opts);
        const image = new docker.Image(
            `${name}-image`,
            {
                imageName: `telegram-ecosystem/${args.bot.name}:managed`,
                build: {
                    // Relative to the project directory (Pulumi's working directory): an
                    // absolute path would differ between a laptop and a CI runner, and the
                    // image and every step after it would then show as changed.
                    context: args.bot.buildContext,
                    platform: "linux/amd64",
                },
                skipPush: true,
                buildOnPreview: false,
            },
            {
                parent: this,
                provider: args.provider,
                ...(opts?.dependsOn === undefined ? {} : { dependsOn: opts.dependsOn }),
            },
        );
        // For a local image repoDigest is the image id; compose refers to the image by it.
        this.imageId = image.repoDigest;
        this.registerOutputs({ imageId: this.imageId });
    }
}

/**
 * The images the bot's Dockerfile builds FROM (BotImage passes no build args), for the image
 * pruning to keep. A bot deployed from a kept image may have no build context here: none then.
 */
export function botBaseImages(bot: BotConfig): string[] {
    const dockerfile = join(bot.buildContext, "Dockerfile");
    return existsSync(dockerfile) ? dockerfileBaseImages(readFileSync(dockerfile, "utf8")) : [];
}
