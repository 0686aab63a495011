import { z } from "zod";
import { stackSchema } from "./config";
import { childSchema, keyOf, unwrap, type FieldNode } from "./field-docs";

/** One documented key of the stack config. */
export interface ConfigKey {
    /** `bots[N].name`, `sshd.extraOptions.<name>` */
    readonly key: string;
    readonly secret: boolean;
    /** Present when a default fills the key. */
    readonly defaultValue?: { readonly value: unknown };
    /** `22`, `["any"]`, "unset", "(required)" or "(required in `backups.s3`)" */
    readonly default: string;
    readonly description: string;
}

function defaultText(node: FieldNode, optionalParent: string | undefined): string {
    if (node.hasDefault)
        return `\`${JSON.stringify(node.defaultValue).replace(/^"(.*)"$/, "$1")}\``;
    if (node.optional) return "unset";
    return optionalParent === undefined ? "(required)" : `(required in \`${optionalParent}\`)`;
}

/**
 * Every key of the stack config schema in order, from the schema's metadata. Objects get a row of
 * their own only when they carry a description (an optional block, or a default of their own);
 * their fields follow. List items are `[N]`, record entries `<name>`.
 */
export function configKeys(): ConfigKey[] {
    return keysOf(stackSchema(true), [], undefined);
}

/** `-1` in a path stands for any list index, printed as `[N]`. */
function keysOf(
    schema: z.ZodType,
    path: readonly (string | number)[],
    optionalParent: string | undefined,
): ConfigKey[] {
    const node = unwrap(schema);
    const key = keyOf(path).replace(/\[-1\]/g, "[N]");
    const row = (shownKey: string): ConfigKey => ({
        key: shownKey,
        secret: node.meta.secret === true,
        ...(node.hasDefault ? { defaultValue: { value: node.defaultValue } } : {}),
        default: defaultText(node, optionalParent),
        description: node.meta.description ?? "",
    });
    const inner = node.schema;
    if (inner instanceof z.ZodObject) {
        const own = path.length > 0 && node.meta.description !== undefined ? [row(key)] : [];
        // Inside an optional or defaulted block, a required field is required in that block.
        const within = path.length > 0 && (node.optional || node.hasDefault) ? key : optionalParent;
        const fields = Object.keys(inner.shape).flatMap((field) =>
            keysOf(childSchema(inner, field)!, [...path, field], within),
        );
        return [...own, ...fields];
    }
    if (inner instanceof z.ZodArray) {
        const element = inner.element as z.ZodType;
        if (unwrap(element).schema instanceof z.ZodObject) {
            return keysOf(element, [...path, -1], optionalParent);
        }
        return [row(`${key}[N]`)];
    }
    if (inner instanceof z.ZodRecord) return [row(`${key}.<name>`)];
    return [row(key)];
}

/** The README's config reference: a Markdown table of every key. */
export function configReferenceTable(keys: readonly ConfigKey[] = configKeys()): string {
    const lines = keys.map(
        (entry) =>
            `| \`${entry.key}\`${entry.secret ? " (secret)" : ""} | ${entry.default} | ${entry.description} |`,
    );
    return ["| Key | Default | Meaning |", "|---|---|---|", ...lines].join("\n");
}

export const REFERENCE_START = "<!-- config-reference:start (npm run docs:config) -->";
export const REFERENCE_END = "<!-- config-reference:end -->";

/** The README text with the table between the markers replaced by the generated one. */
export function withConfigReference(readme: string): string {
    const start = readme.indexOf(REFERENCE_START);
    const end = readme.indexOf(REFERENCE_END);
    if (start < 0 || end < start) {
        throw new Error(`README.md needs the markers ${REFERENCE_START} and ${REFERENCE_END}`);
    }
    const table = configReferenceTable();
    return `${readme.slice(0, start + REFERENCE_START.length)}\n${table}\n${readme.slice(end)}`;
}
