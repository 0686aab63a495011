import { describe, expect, it } from "vitest";
import { describedScript, stepOutcome, type Step } from "../../../components/plan/step";

/** What a secret step might print before its last line; an error must never quote it. */
const SECRET_LINE = "POSTGRES_PASSWORD=GeneratedPostgresPassword0123456789ab";

describe("a step that broke the outcome contract", () => {
    const step: Step = {
        id: "demo",
        description: "the demo file is in place",
        script: "#!/usr/bin/env bash\necho done\n",
        secret: false,
        trigger: "t",
    };

    it("fails naming the step, what it is for and the line it ended with", () => {
        expect(() => stepOutcome(step, "copied\ndone\n")).toThrow(
            'step demo (the demo file is in place): its output must end with CHANGED or UNCHANGED, got: "done"',
        );
        expect(stepOutcome(step, "x\nUNCHANGED\n")).toBe("UNCHANGED");
    });

    it("never quotes the output of a secret step", () => {
        const error = (() => {
            try {
                stepOutcome({ ...step, secret: true }, `${SECRET_LINE}\n`);
            } catch (caught) {
                return (caught as Error).message;
            }
            return "";
        })();
        expect(error).toBe(
            "step demo (the demo file is in place): its output must end with CHANGED or UNCHANGED",
        );
    });

    it("refuses a description of more than one line: its second line would run", () => {
        expect(() => describedScript({ ...step, description: "first\nrm -rf /srv" })).toThrow(
            "step demo: its description must be one line",
        );
    });

    it("puts the description first when a script has no shebang", () => {
        expect(describedScript({ ...step, script: "set -e\ntrue\n" })).toBe(
            "# demo: the demo file is in place\nset -e\ntrue\n",
        );
    });
});
