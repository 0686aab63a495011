import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TempFiles } from "../../../../src/services/video/temp-files.js";

const root = mkdtempSync(join(tmpdir(), "temp-unit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("TempFiles (10.2.9)", () => {
    it("removes orphans of a previous run at start, and only the bot's own files", async () => {
        const dir = join(root, "a");
        const temp = new TempFiles(dir);
        await temp.init();
        writeFileSync(join(dir, "wbv-123456-999-old.mp4"), "x");
        writeFileSync(join(dir, "someone-elses.txt"), "x");
        expect(await new TempFiles(dir).init()).toBe(1);
        expect(readdirSync(dir)).toEqual(["someone-elses.txt"]);
    });

    it("hands out unique names for the same article and removes what is left", async () => {
        const temp = new TempFiles(join(root, "b"));
        await temp.init();
        const a = temp.path("123456", ".mp4");
        const b = temp.path("123456", ".mp4");
        expect(a).not.toBe(b);
        writeFileSync(a, "x");
        writeFileSync(b, "x");
        await temp.remove(a);
        expect(existsSync(a)).toBe(false);
        await temp.removeAll();
        expect(existsSync(b)).toBe(false);
        expect(temp.count).toBe(0);
    });
});
