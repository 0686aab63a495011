import { describe, expect, it } from "vitest";
import { runProcess, startProcess } from "./child-process";

// The e2e run once failed with an unhandled EPIPE: the command provider's client exited (no
// common host-key algorithm) before reading the step's stdin. A child that never reads its
// stdin must give its exit code and stderr, not crash the test run.
describe("runProcess", () => {
    it("returns the exit code and stderr of a child that exits without reading its stdin", async () => {
        // Far more than a pipe buffer holds, so the write is still pending when the child exits.
        const input = "x".repeat(4 * 1024 * 1024);
        const run = await runProcess("sh", ["-c", "echo refused >&2; exit 3"], { input });
        expect(run).toEqual({ code: 3, stdout: "", stderr: "refused\n" });
    });

    it("passes stdin, env and cwd to the child", async () => {
        const run = await runProcess("sh", ["-c", 'cat; printf " %s %s" "$GREETING" "$PWD"'], {
            input: "hello",
            env: { GREETING: "hi", PATH: process.env.PATH },
            cwd: "/",
        });
        expect(run).toEqual({ code: 0, stdout: "hello hi /", stderr: "" });
    });

    it("rejects for a file that does not exist", async () => {
        await expect(runProcess("/nonexistent/tool", [])).rejects.toThrow(
            "/nonexistent/tool did not start",
        );
    });
});

describe("startProcess", () => {
    it("gives the pid at once and the result when the child ends", async () => {
        const started = startProcess("sh", ["-c", "exit 0"]);
        expect(started.pid).toBeGreaterThan(0);
        await expect(started.result).resolves.toMatchObject({ code: 0 });
    });
});
