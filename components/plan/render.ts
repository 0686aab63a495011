import { readFileSync } from "node:fs";
import * as path from "node:path";

/** Root of the template tree; paths below it mirror where the rendered files go. */
export const TEMPLATES_DIR = path.join(__dirname, "..", "..", "templates");

/** A placeholder is exactly `{{ name }}`; Go templates such as `{{.State.Status}}` never match. */
const PLACEHOLDER = /\{\{ ([a-z][a-z0-9_]*) \}\}/g;

/** Scripts may only take placeholders between these two lines, so their bodies stay static. */
export const VARIABLES_BEGIN = "# --- rendered variables ---";
export const VARIABLES_END = "# --- end of rendered variables ---";

export type TemplateVars = Readonly<Record<string, string>>;

/** POSIX single-quoting: the value reaches bash byte for byte, whatever it contains. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Fills `templates/<relativePath>`. Throws when the template uses a variable that is not given or
 * when a given variable is not used (both are bugs in the caller). In `.sh` templates every value
 * is shell-quoted and placeholders may only appear inside the variables block at the top.
 */
export function render(relativePath: string, vars: TemplateVars): string {
    const text = readFileSync(path.join(TEMPLATES_DIR, relativePath), "utf8");
    return renderText(relativePath, text, vars);
}

/** `render` over a template text; `name` only selects the quoting rules and labels errors. */
export function renderText(name: string, text: string, vars: TemplateVars): string {
    const isScript = name.endsWith(".sh");
    if (isScript) assertPlaceholdersInVariablesBlock(name, text);
    const used = new Set<string>();
    const missing = new Set<string>();
    const rendered = text.replace(PLACEHOLDER, (_match, key: string) => {
        const value = Object.prototype.hasOwnProperty.call(vars, key) ? vars[key] : undefined;
        if (value === undefined) {
            missing.add(key);
            return "";
        }
        used.add(key);
        return isScript ? shellQuote(value) : value;
    });
    if (missing.size > 0) {
        throw new Error(`template ${name}: no value given for ${[...missing].join(", ")}`);
    }
    const unused = Object.keys(vars).filter((key) => !used.has(key));
    if (unused.length > 0) {
        throw new Error(`template ${name}: variables given but not used: ${unused.join(", ")}`);
    }
    return rendered;
}

function assertPlaceholdersInVariablesBlock(name: string, text: string): void {
    const lines = text.split("\n");
    const begin = lines.indexOf(VARIABLES_BEGIN);
    const end = lines.indexOf(VARIABLES_END);
    lines.forEach((line, index) => {
        if (!new RegExp(PLACEHOLDER.source).test(line)) return;
        if (begin < 0 || end < begin || index <= begin || index >= end) {
            throw new Error(
                `template ${name}: line ${index + 1} has a placeholder outside the variables ` +
                    `block; move it into a variable between "${VARIABLES_BEGIN}" and ` +
                    `"${VARIABLES_END}"`,
            );
        }
    });
}
