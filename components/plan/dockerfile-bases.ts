/**
 * The images a Dockerfile builds FROM, read the way BuildKit's Dockerfile frontend reads them:
 * line continuations joined, `# comment` and blank lines skipped, `ARG` before the first `FROM`
 * giving the defaults that FROM may use (`$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`; a
 * default may use an earlier ARG), build args overriding those defaults, `--platform=...` flags
 * skipped, and earlier stages (`AS name`) and `scratch` not being images.
 *
 * Best effort, never an error: a FROM whose variables stay unknown, or that this reading leaves
 * as something other than one image reference (a parser directive such as `escape`, a heredoc),
 * is left out, and the pruning then simply does not keep it.
 *
 * Why: an image built with BuildKit records no parent, so once a deploy is done nothing on the
 * host says that a base in the image store (pulled with `docker pull`, or loaded, as the tests'
 * bases are) is in use, and the image pruning would remove it.
 */
export function dockerfileBaseImages(
    dockerfile: string,
    buildArgs: Readonly<Record<string, string>> = {},
): string[] {
    const globalArgs = new Map<string, string | undefined>();
    const stages = new Set<string>(["scratch"]);
    const bases: string[] = [];
    let seenFrom = false;
    for (const instruction of instructions(dockerfile)) {
        const [keyword = "", ...words] = instruction.split(/\s+/);
        if (/^arg$/i.test(keyword) && !seenFrom) {
            for (const word of words) {
                const [name = "", value] = splitOnce(word, "=");
                const fallback =
                    value === undefined ? undefined : substitute(unquote(value), globalArgs);
                globalArgs.set(name, buildArgs[name] ?? fallback);
            }
        } else if (/^from$/i.test(keyword)) {
            seenFrom = true;
            const [reference, as, stage] = words.filter((word) => !word.startsWith("--"));
            if (reference !== undefined) {
                const image = substitute(reference, globalArgs);
                if (
                    image !== undefined &&
                    IMAGE_REFERENCE.test(image) &&
                    !stages.has(image.toLowerCase()) &&
                    !bases.includes(image)
                ) {
                    bases.push(image);
                }
            }
            if (as !== undefined && /^as$/i.test(as) && stage !== undefined) {
                stages.add(stage.toLowerCase());
            }
        }
    }
    return bases;
}

/** One word of name, tag and digest characters; what `prune-images.sh` reads from its stdin. */
const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;

/** Instructions with continuations joined; comment and blank lines dropped. */
function instructions(dockerfile: string): string[] {
    const result: string[] = [];
    let pending = "";
    for (const line of dockerfile.split(/\r?\n/)) {
        const trimmed = line.trim();
        if (pending === "" && (trimmed === "" || trimmed.startsWith("#"))) continue;
        // Comments and blank lines inside a continuation do not end it.
        if (pending !== "" && (trimmed === "" || trimmed.startsWith("#"))) continue;
        if (trimmed.endsWith("\\")) {
            pending += `${trimmed.slice(0, -1)} `;
            continue;
        }
        result.push(`${pending}${trimmed}`.trim());
        pending = "";
    }
    if (pending.trim() !== "") result.push(pending.trim());
    return result;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
    const at = text.indexOf(separator);
    return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function unquote(value: string): string {
    return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/** The reference with its variables replaced, or undefined when one of them has no value. */
function substitute(
    reference: string,
    args: ReadonlyMap<string, string | undefined>,
): string | undefined {
    let unknown = false;
    const result = reference.replace(
        /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
        (
            _match,
            braced: string | undefined,
            colon: string | undefined,
            fallback: string | undefined,
            bare: string | undefined,
        ) => {
            const value = args.get((braced ?? bare)!);
            // ${NAME:-word} replaces an unset or empty NAME, ${NAME-word} only an unset one.
            if (
                fallback !== undefined &&
                (value === undefined || (colon === ":" && value === ""))
            ) {
                return fallback;
            }
            if (value !== undefined && value !== "") return value;
            unknown = true;
            return "";
        },
    );
    return unknown || result === "" ? undefined : result;
}
