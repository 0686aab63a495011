import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
    render,
    renderText,
    shellQuote,
    VARIABLES_BEGIN,
    VARIABLES_END,
} from "../../../components/plan/render";

const script = (body: string) =>
    `#!/usr/bin/env bash\nset -euo pipefail\n${VARIABLES_BEGIN}\nVALUE={{ value }}\n${VARIABLES_END}\n${body}\n`;

describe("render", () => {
    it("fills {{ name }} placeholders and leaves Go templates alone", () => {
        expect(renderText("a.yml", "x: {{ a }} {{.State.Status}} {{json .X}}", { a: "1" })).toBe(
            "x: 1 {{.State.Status}} {{json .X}}",
        );
    });

    it("throws on a missing variable", () => {
        expect(() => renderText("a.conf", "{{ a }} {{ b }}", { a: "1" })).toThrow(
            "template a.conf: no value given for b",
        );
    });

    it("throws on an unused variable", () => {
        expect(() => renderText("a.conf", "{{ a }}", { a: "1", b: "2" })).toThrow(
            "template a.conf: variables given but not used: b",
        );
    });

    it("shell-quotes values in scripts so that bash reads them back byte for byte", () => {
        const nasty = `it's "$(rm -rf /)" \`x\` $HOME \\ ; & |\nnext line`;
        const rendered = renderText("t.sh", script('printf "%s" "$VALUE"'), { value: nasty });
        const run = spawnSync("bash", ["-c", rendered], { encoding: "utf8" });
        expect(run.status).toBe(0);
        expect(run.stdout).toBe(nasty);
        expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
    });

    it("refuses placeholders outside the variables block of a script", () => {
        expect(() => renderText("t.sh", script("echo {{ value }}"), { value: "x" })).toThrow(
            /line 6 has a placeholder outside the variables block/,
        );
        expect(() => renderText("t.sh", "echo {{ value }}\n", { value: "x" })).toThrow(
            /outside the variables block/,
        );
    });

    it("reads templates from the templates/ tree", () => {
        expect(render("opt/stack/project.env", { project: "p" })).toContain(
            "COMPOSE_PROJECT_NAME=p\n",
        );
    });
});
