/**
 * The images a Dockerfile builds FROM, read the way BuildKit's Dockerfile frontend reads them:
 * line continuations joined, `# comment` lines skipped, `ARG` before the first `FROM` giving the
 * defaults that FROM may use (`$NAME`, `${NAME}`, `${NAME:-word}`), build args overriding those
 * defaults, `--platform=...` flags skipped, and earlier stages (`AS name`) and `scratch` not
 * being images. A FROM whose variables stay unknown is left out: nothing can name its image.
 *
 * Why: an image built with BuildKit records no parent, so once a deploy is done nothing on the
 * host says that the bot's base is in use, and the image pruning would untag it; the next build
 * would then pull it again.
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
                globalArgs.set(
                    name,
                    buildArgs[name] ?? (value === undefined ? undefined : unquote(value)),
                );
            }
        } else if (/^from$/i.test(keyword)) {
            seenFrom = true;
            const [reference, as, stage] = words.filter((word) => !word.startsWith("--"));
            if (reference !== undefined) {
                const image = substitute(reference, globalArgs);
                if (
                    image !== undefined &&
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

/** Instructions with continuations joined; comment and blank lines dropped. */
function instructions(dockerfile: string): string[] {
    const result: string[] = [];
    let pending = "";
    for (const line of dockerfile.split(/\r?\n/)) {
        const trimmed = line.trim();
        if (pending === "" && (trimmed === "" || trimmed.startsWith("#"))) continue;
        if (pending !== "" && trimmed.startsWith("#")) continue; // comments inside a continuation
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
        /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
        (
            _match,
            braced: string | undefined,
            fallback: string | undefined,
            bare: string | undefined,
        ) => {
            const value = args.get((braced ?? bare)!);
            if (value !== undefined && value !== "") return value;
            if (fallback !== undefined) return fallback;
            unknown = true;
            return "";
        },
    );
    return unknown || result === "" ? undefined : result;
}
