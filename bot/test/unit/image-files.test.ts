import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

type Manifest = { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");

// The image is built from bot/ alone with `npm ci`, which fails when the lockfile drifts.
describe("container build inputs", () => {
    it("bot/package-lock.json matches bot/package.json", () => {
        const pkg = JSON.parse(read("package.json")) as Manifest;
        const lock = JSON.parse(read("package-lock.json")) as {
            packages: Record<string, Manifest>;
        };
        expect(lock.packages[""]?.dependencies).toEqual(pkg.dependencies);
        expect(lock.packages[""]?.devDependencies).toEqual(pkg.devDependencies);
        for (const name of Object.keys(pkg.dependencies)) {
            expect(lock.packages[`node_modules/${name}`], name).toBeDefined();
        }
    });

    it("the Dockerfile pins the base, runs as 10001 under tini with a health check", () => {
        const dockerfile = read("Dockerfile");
        expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22\.\d+\.\d+-bookworm-slim$/m);
        const froms = dockerfile.match(/^FROM .*/gm) ?? [];
        expect(froms.length).toBeGreaterThanOrEqual(2);
        for (const from of froms) expect(from).toMatch(/^FROM \$\{NODE_IMAGE\}/);
        // ffmpeg is compiled from Debian's current source package in a build stage, for remuxing
        // only, and only its binary (linked to libc alone) reaches the runtime image.
        expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS ffmpeg$/m);
        expect(dockerfile).toContain("apt-get source ffmpeg");
        expect(dockerfile).toContain("--disable-everything --disable-autodetect");
        expect(dockerfile).toContain("--enable-protocol=file,pipe,http,tcp,crypto");
        expect(dockerfile).toContain("dpkg-buildflags --get CFLAGS");
        expect(dockerfile).toContain("COPY --from=ffmpeg /out/ /");
        expect(dockerfile).toContain("--no-install-recommends tini");
        expect(dockerfile).not.toMatch(/apt-get install[^\n]* ffmpeg/);
        expect(dockerfile).toContain("npm ci --omit=dev");
        expect(dockerfile).toMatch(/^USER 10001:10001$/m);
        expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*dist\/healthcheck\.js/m);
        expect(dockerfile).toContain('ENTRYPOINT ["/usr/bin/tini", "--"]');
        // The V8 limits bench measurement 6 ran with: idle RSS ~72 MiB fresh, ~93 MiB after load.
        const flags = ["--max-semi-space-size=1", "--max-old-space-size=128", "--v8-pool-size=1"];
        const cmd = ["node", ...flags, "dist/main.js"].map((a) => `"${a}"`).join(", ");
        expect(dockerfile).toMatch(new RegExp(`^CMD \\[${cmd}\\]$`, "m"));
        expect(read(".dockerignore")).toMatch(/^node_modules$/m);
        expect(read(".dockerignore")).toMatch(/^\.env$/m);
    });
});
