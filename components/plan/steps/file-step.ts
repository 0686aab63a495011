import { render } from "../render";
import { makeSecretStep, makeStep, type Step } from "../step";

export type FileStepArgs = FileStepFields &
    (
        | { readonly secret: false }
        /** The content holds a secret (env files); the step's output stays in logDir on the host. */
        | { readonly secret: true; readonly logDir: string }
    );

interface FileStepFields {
    readonly id: string;
    readonly description: string;
    /** Absolute path on the host. */
    readonly target: string;
    /** Octal mode as `stat -c %a` prints it ("644", "600"). */
    readonly mode: string;
    readonly content: string;
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
    const fields = { id: args.id, description: args.description, script, stdin: args.content };
    const extra = args.extraTriggerParts ?? [];
    return args.secret
        ? makeSecretStep({ ...fields, logDir: args.logDir }, ...extra)
        : makeStep({ ...fields, secret: false }, ...extra);
}
