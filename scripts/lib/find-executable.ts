import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** The first executable file called `name` on PATH, like `command -v`; undefined when absent. */
export function findExecutable(
    name: string,
    env: NodeJS.ProcessEnv = process.env,
): string | undefined {
    for (const dir of (env.PATH ?? "").split(delimiter)) {
        if (dir === "") continue;
        const candidate = join(dir, name);
        try {
            if (!statSync(candidate).isFile()) continue;
            accessSync(candidate, constants.X_OK);
            return candidate;
        } catch {
            // not here: keep looking
        }
    }
    return undefined;
}
