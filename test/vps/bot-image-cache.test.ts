import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { contentKey } from "./bot-image-cache";

// The key of the shared bot image archive: what the build sees changes it, nothing else does.
describe("bot image archive key", () => {
    let share: string;
    const key = () => contentKey(share, ["bot", "node-base"]);
    const write = (path: string, text: string) => {
        mkdirSync(join(share, path, ".."), { recursive: true });
        writeFileSync(join(share, path), text);
    };

    beforeEach(() => {
        share = mkdtempSync(join(tmpdir(), "bot-image-key-"));
        write(
            "bot/.dockerignore",
            "# comment\ntest\nREADME.md\n*.log\nDockerfile\n.dockerignore\n",
        );
        write("bot/Dockerfile", "FROM ${NODE_IMAGE}\n");
        write("bot/src/main.ts", "console.log(1);\n");
        write("bot/README.md", "readme\n");
        write("bot/test/a.test.ts", "test\n");
        write("node-base/node", "node binary\n");
    });
    afterEach(() => rmSync(share, { recursive: true, force: true }));

    it("changes with the sources, the Dockerfile, .dockerignore and the node base", () => {
        for (const [path, text] of [
            ["bot/src/main.ts", "console.log(2);\n"],
            ["bot/src/new.ts", "export {};\n"],
            ["bot/Dockerfile", "FROM ${NODE_IMAGE} AS other\n"],
            ["bot/.dockerignore", "test\n"],
            ["node-base/node", "another node\n"],
        ] as const) {
            const before = key();
            write(path, text);
            expect(key(), path).not.toBe(before);
        }
    });

    it("stays the same when only files the build context leaves out change", () => {
        const before = key();
        write("bot/README.md", "edited\n");
        write("bot/test/a.test.ts", "edited\n");
        write("bot/debug.log", "log\n");
        expect(key()).toBe(before);
    });
});
