import { spawnSync } from "node:child_process";
import { VARIABLES_BEGIN, VARIABLES_END } from "../../components/plan/render";
import type { Step } from "../../components/plan/step";

/** The script a secret step runs inside run-secret-step.sh (its STEP_SCRIPT), as bash reads it. */
export function innerScript(step: Step): string {
    const begin = step.script.indexOf(VARIABLES_BEGIN);
    const end = step.script.lastIndexOf(VARIABLES_END); // the inner script has its own markers
    if (!step.secret || begin === -1 || end === -1)
        throw new Error(`step ${step.id} is not a wrapped secret step`);
    const variables = step.script.slice(begin, end);
    const result = spawnSync("bash", ["-c", `${variables}\nprintf '%s' "$STEP_SCRIPT"`], {
        encoding: "utf8",
    });
    if (result.status !== 0)
        throw new Error(`cannot read STEP_SCRIPT of ${step.id}: ${result.stderr}`);
    return result.stdout;
}
