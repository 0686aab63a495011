import type { StackConfig } from "../../config/config";
import { render } from "../render";
import type { RuntimeValues } from "../runtime-values";
import { makeStep, type Step } from "../step";

/**
 * After a successful deploy: each bot's current image and the one before it are recorded (the
 * rollback image, deployed with `bots[N].image`), every image no container uses is removed, and
 * BuildKit's build cache is trimmed. Each bot build would otherwise leave its old image and cache
 * on the small disk for good.
 */

/** One file per bot holding "current <id>" and "previous <id>"; `ops status` prints them. */
export const KEPT_IMAGES_DIR = "/var/lib/telegram-ecosystem/images";

/**
 * stdin of prune-images.sh: "<bot> <image> [<base>...]" per bot: the image the compose file now
 * names, then the images its Dockerfile builds FROM.
 */
export function currentImageLines(config: StackConfig, runtime: RuntimeValues): string {
    return config.bots
        .map((bot) => {
            const words = [
                bot.name,
                runtime.botImages[bot.name] ?? "",
                ...(runtime.botBaseImages?.[bot.name] ?? []),
            ];
            return `${words.join(" ")}\n`;
        })
        .join("");
}

export function planImagePrune(
    config: StackConfig,
    runtime: RuntimeValues,
    keptDir: string = KEPT_IMAGES_DIR,
): Step[] {
    return [
        makeStep({
            id: "prune-images",
            description:
                "unused images and build cache are removed; each bot's previous image is kept",
            script: render("scripts/prune-images.sh", {
                kept_dir: keptDir,
                build_cache_keep_mb: String(config.images.buildCacheKeepMb),
            }),
            stdin: currentImageLines(config, runtime),
            secret: false,
        }),
    ];
}
