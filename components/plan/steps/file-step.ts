import { render } from "../render";
import { makeStep, type Step } from "../step";

export interface FileStepArgs {
    readonly id: string;
    readonly description: string;
    /** Absolute path on the host. */
    readonly target: string;
    /** Octal mode as `stat -c %a` prints it ("644", "600"). */
    readonly mode: string;
    readonly content: string;
    /** True when the content holds a secret (env files). */
    readonly secret: boolean;
    /** More trigger parts beyond script and content. */
    readonly extraTriggerParts?: readonly string[];
}

/** A step that installs one file, sent through stdin, owned by root. */
export function fileStep(args: FileStepArgs): Step {
    const script = render("scripts/install-file.sh", {
        target: args.target,
        mode: args.mode,
        owner: "root:root",
    });
    return makeStep(
        {
            id: args.id,
            description: args.description,
            script,
            stdin: args.content,
            secret: args.secret,
        },
        ...(args.extraTriggerParts ?? []),
    );
}
