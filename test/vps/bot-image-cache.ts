import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { imageRootfsMount } from "./mounts";

/**
 * The bot image is built once per content and shared by the test VPSes that use the same rootfs
 * cache: its Dockerfile compiles ffmpeg from Debian's source (minutes of CPU on 2 cores), and
 * four e2e files compiling it at once would slow every VPS on the machine. The first VPS to get
 * here builds the image from the real Dockerfile and `docker save`s it into the rootfs cache dir
 * (build/vps/rootfs-<key>/, bound read-only into every VPS); the others wait for that and
 * `docker load` the archive. The key hashes the build contexts of the bot and of the node base
 * (the bot's files, this machine's node and npm), so any change there builds afresh; a new
 * rootfs cache (another package list) starts without archives.
 */
export interface SharedBuild {
    /** Runs a shell command inside the VPS. */
    readonly run: (command: string) => Promise<string>;
    /** Builds the image inside the VPS and tags it `tag`. */
    readonly build: () => Promise<unknown>;
    readonly tag: string;
    /** The host side of the VPS: its root file system and share dir, and its rootfs cache. */
    readonly rootDir: string;
    readonly shareDir: string;
    readonly rootfsCache: string;
}

const archivePrefix = "bot-image-";
/** Where the builder VPS saves the image, inside its own root file system. */
const savedInVps = "/var/tmp/e2e-bot-image.tar";

/** Builds the image, or loads the one an earlier VPS built from the same contexts. */
export async function buildOrLoadBotImage(shared: SharedBuild): Promise<"built" | "loaded"> {
    const key = contentKey(shared.shareDir, ["bot", "node-base"]);
    const archive = `${archivePrefix}${key}.tar`;
    const release = await lock(join(shared.rootfsCache, "bot-image.lock"));
    try {
        if (existsSync(join(shared.rootfsCache, archive))) {
            await release();
            await shared.run(`docker load -q -i ${imageRootfsMount}/${archive} >/dev/null`);
            return "loaded";
        }
        await shared.build();
        await shared.run(`docker save -o ${savedInVps} ${shared.tag}`);
        renameSync(join(shared.rootDir, savedInVps), join(shared.rootfsCache, `${archive}.tmp`));
        renameSync(join(shared.rootfsCache, `${archive}.tmp`), join(shared.rootfsCache, archive));
        for (const name of readdirSync(shared.rootfsCache)) {
            if (name.startsWith(archivePrefix) && name !== archive)
                rmSync(join(shared.rootfsCache, name));
        }
        return "built";
    } finally {
        await release();
    }
}

/**
 * sha256 over the relative path and content (or link target) of every file under `dirs` (build
 * contexts inside `root`),
 * leaving out the top-level entries their .dockerignore names (bot/README.md, bot/test/...), so
 * editing those builds nothing. Patterns other than plain names and `*` globs are not honoured:
 * the key then covers more files than the build sees, which only costs a rebuild.
 */
export function contentKey(root: string, dirs: readonly string[]): string {
    const hash = createHash("sha256");
    const walk = (dir: string, ignored: (name: string) => boolean) => {
        const entries = readdirSync(dir, { withFileTypes: true })
            .filter((entry) => !ignored(entry.name))
            .sort((a, b) => (a.name < b.name ? -1 : 1));
        for (const entry of entries) {
            const path = join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(path, () => false);
            } else {
                const content = entry.isSymbolicLink() ? readlinkSync(path) : readFileSync(path);
                hash.update(`${relative(root, path)}\0`)
                    .update(content)
                    .update("\0");
            }
        }
    };
    for (const dir of dirs) walk(join(root, dir), dockerIgnored(join(root, dir)));
    return hash.digest("hex").slice(0, 16);
}

/**
 * The top-level names a build context's .dockerignore leaves out (plain names, `*` globs); the
 * Dockerfile and .dockerignore always count, as they shape the build even when listed.
 */
function dockerIgnored(context: string): (name: string) => boolean {
    const file = join(context, ".dockerignore");
    if (!existsSync(file)) return () => false;
    const always = new Set(["Dockerfile", ".dockerignore"]);
    const patterns = readFileSync(file, "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#") && !/[/!?[\\]/.test(line))
        .map(
            (line) => new RegExp(`^${line.replace(/[.+^${}()|]/g, "\\$&").replace(/\*/g, ".*")}$`),
        );
    return (name) => !always.has(name) && patterns.some((pattern) => pattern.test(name));
}

/**
 * Takes an exclusive flock on `path`, held by a child `flock` until the returned function is
 * called; the kernel drops it if this process dies, so no stale lock is ever left behind.
 */
function lock(path: string): Promise<() => Promise<void>> {
    return new Promise((resolve, reject) => {
        const holder = spawn("flock", [path, "sh", "-c", "echo locked; exec cat >/dev/null"], {
            stdio: ["pipe", "pipe", "inherit"],
        });
        const exited = new Promise<void>((done) => holder.once("exit", () => done()));
        let released = false;
        const release = async () => {
            if (!released) {
                released = true;
                holder.stdin.end();
            }
            await exited;
        };
        holder.once("error", reject);
        holder.once("exit", (code) => reject(new Error(`flock ${path} exited with ${code}`)));
        holder.stdout.once("data", () => resolve(release));
    });
}
