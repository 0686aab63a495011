import { createHash } from "node:crypto";
import { render } from "./render";

/**
 * One provisioning step as plain data. Pulumi wraps each step in a `command.remote.Command`
 * (components/), and the end-to-end tests apply the very same values over SSH to the test VPS
 * (test/vps/applier.ts). Nothing here knows about Pulumi.
 */
export interface Step {
    /** Stable kebab-case id, unique in a plan; also the Pulumi resource name suffix. */
    readonly id: string;
    /** One line for humans: what the step makes true on the host. */
    readonly description: string;
    /**
     * The bash script run as the SSH command, rendered from a file in templates/scripts/.
     * It never contains a secret, starts with `set -euo pipefail`, is idempotent and ends by
     * printing `CHANGED` or `UNCHANGED` as its last line of output.
     */
    readonly script: string;
    /** Content piped to the script (a file to install, SQL, ...). May hold secrets. */
    readonly stdin?: string;
    /** True when `stdin` carries a secret: the step then runs with logging off and secret outputs. */
    readonly secret: boolean;
    /** sha256 over script, stdin and anything else that must re-run the step when it changes. */
    readonly trigger: string;
}

/** The last line a step prints: whether it changed anything on the host. */
export type StepOutcome = "CHANGED" | "UNCHANGED";

/** sha256 hex of the parts, length-prefixed so that ["ab","c"] and ["a","bc"] differ. */
export function hashParts(...parts: readonly string[]): string {
    const hash = createHash("sha256");
    for (const part of parts) {
        hash.update(`${Buffer.byteLength(part)}:`);
        hash.update(part);
    }
    return hash.digest("hex");
}

/** Builds a step whose trigger covers its script and stdin plus any extra parts. */
export function makeStep(
    fields: Omit<Step, "trigger">,
    ...extraTriggerParts: readonly string[]
): Step {
    if (fields.secret) {
        throw new Error(`step ${fields.id} carries secrets: build it with makeSecretStep`);
    }
    return {
        ...fields,
        trigger: hashParts(fields.script, fields.stdin ?? "", ...extraTriggerParts),
    };
}

const lastLine = (stdout: string) => stdout.trimEnd().split("\n").at(-1)?.trim() ?? "";

/**
 * Builds a step whose stdin carries secrets. Its script runs inside run-secret-step.sh, which
 * keeps everything the script prints in `<logDir>/<id>.log` on the server (root only), so no
 * error text of the command provider can ever hold a line of that stdin.
 */
export function makeSecretStep(
    fields: Omit<Step, "trigger" | "secret"> & { readonly logDir: string },
    ...extraTriggerParts: readonly string[]
): Step {
    const { logDir, ...step } = fields;
    const script = render("scripts/run-secret-step.sh", {
        step_id: step.id,
        step_script: step.script,
        log_file: `${logDir}/${step.id}.log`,
    });
    return {
        ...step,
        script,
        secret: true,
        trigger: hashParts(script, step.stdin ?? "", ...extraTriggerParts),
    };
}

/** Reads the outcome from a step's stdout; throws when the script broke the contract. */
export function parseOutcome(stdout: string): StepOutcome {
    const last = lastLine(stdout);
    if (last === "CHANGED" || last === "UNCHANGED") return last;
    throw new Error(`step output must end with CHANGED or UNCHANGED, got: ${JSON.stringify(last)}`);
}

/**
 * The outcome of one run of `step`. The error names the step and what it is for; it quotes the
 * offending line only for a step without secrets.
 */
export function stepOutcome(step: Step, stdout: string): StepOutcome {
    const last = lastLine(stdout);
    if (last === "CHANGED" || last === "UNCHANGED") return last;
    const got = step.secret ? "" : `, got: ${JSON.stringify(last)}`;
    throw new Error(
        `step ${step.id} (${step.description}): its output must end with CHANGED or UNCHANGED${got}`,
    );
}

/**
 * The script as the Command runs it: the step's id and description as a comment right after the
 * shebang. A failed command's error quotes the command it ran, so it names the step and what the
 * step is for. Only `create` carries it: a step's trigger stays the hash of its plain script.
 */
export function describedScript(step: Step): string {
    if (/[\r\n]/.test(step.description)) {
        throw new Error(`step ${step.id}: its description must be one line`);
    }
    const comment = `# ${step.id}: ${step.description}`;
    if (!step.script.startsWith("#!")) return `${comment}\n${step.script}`;
    const newline = step.script.indexOf("\n");
    const shebang = newline < 0 ? step.script : step.script.slice(0, newline);
    return `${shebang}\n${comment}${newline < 0 ? "" : step.script.slice(newline)}`;
}
