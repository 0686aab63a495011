import { z } from "zod";

/**
 * What the config schemas say about each key, in zod's metadata (`.meta({...})`): the README's
 * config reference and every error's fix command are derived from it, so neither is written by
 * hand per key.
 */
declare module "zod/v4/core" {
    interface GlobalMeta {
        /** A value to show in the fix command, ready for the shell (`<api_id>`, `"$(cat …)"`). */
        example?: string | number | boolean;
        /** The key holds a secret: set with `--secret`. */
        secret?: boolean;
        /** The fix when it is not `pulumi config set <key> <value>` (hostKey: trust-host). */
        fix?: string;
    }
}

type Segment = PropertyKey;

/** One schema node with its wrappers (default, optional, pipe) peeled off. */
export interface FieldNode {
    /** The innermost schema: an object, array, record or value. */
    readonly schema: z.ZodType;
    /** The metadata of every layer, the outer one winning. */
    readonly meta: z.core.GlobalMeta;
    /** Whether a default fills the key (zod's `.default` or `.prefault`). */
    readonly hasDefault: boolean;
    readonly defaultValue?: unknown;
    /** Whether the key may be left out without a default. */
    readonly optional: boolean;
}

export function unwrap(schema: z.ZodType): FieldNode {
    let current: z.ZodType = schema;
    const layers: z.core.GlobalMeta[] = [];
    let defaultValue: { value: unknown } | undefined;
    let optional = false;
    for (;;) {
        const meta = z.globalRegistry.get(current);
        if (meta !== undefined) layers.unshift(meta);
        if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault) {
            defaultValue ??= { value: (current.def as { defaultValue: unknown }).defaultValue };
            current = current.unwrap() as z.ZodType;
        } else if (current instanceof z.ZodOptional) {
            optional = true;
            current = current.unwrap() as z.ZodType;
        } else if (current instanceof z.ZodPipe) {
            current = current.in as z.ZodType;
        } else {
            break;
        }
    }
    return {
        schema: current,
        meta: Object.assign({}, ...layers) as z.core.GlobalMeta,
        hasDefault: defaultValue !== undefined,
        ...(defaultValue === undefined ? {} : { defaultValue: defaultValue.value }),
        optional: optional && defaultValue === undefined,
    };
}

/** The schema of a field, an array element or a record value below `schema`. */
export function childSchema(schema: z.ZodType, segment: Segment): z.ZodType | undefined {
    if (schema instanceof z.ZodObject) {
        return typeof segment === "string"
            ? (schema.shape as Record<string, z.ZodType>)[segment]
            : undefined;
    }
    if (schema instanceof z.ZodArray) return schema.element as z.ZodType;
    if (schema instanceof z.ZodRecord) return schema.valueType as z.ZodType;
    return undefined;
}

export function nodeAt(root: z.ZodType, path: readonly Segment[]): FieldNode | undefined {
    let node = unwrap(root);
    for (const segment of path) {
        const child = childSchema(node.schema, segment);
        if (child === undefined) return undefined;
        node = unwrap(child);
    }
    return node;
}

/** `bots[0].env.NAME`: the key as `pulumi config set --path` spells it. */
export function keyOf(path: readonly Segment[]): string {
    return path
        .map((part, index) =>
            typeof part === "number" ? `[${part}]` : `${index === 0 ? "" : "."}${String(part)}`,
        )
        .join("");
}

const SHELL_WORD = /^[A-Za-z0-9@%+=:,./_-]+$/;

/** The key as one shell word, with `--path` when it is nested. */
function keyArgs(key: string): string {
    if (!/[.[]/.test(key)) return key;
    return `--path ${SHELL_WORD.test(key) ? key : `'${key}'`}`;
}

/** `pulumi config set [--secret] [--path] <key> <value>`; the value is used as written. */
export function setCommand(key: string, value: string, secret = false): string {
    return `pulumi config set ${secret ? "--secret " : ""}${keyArgs(key)} ${value}`;
}

export function removeCommand(key: string): string {
    return `pulumi config rm ${keyArgs(key)}`;
}

/** A default as a shell word, or undefined for an object or list. */
function defaultWord(value: unknown): string | undefined {
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        return undefined;
    }
    const word = String(value);
    return SHELL_WORD.test(word) ? word : `'${word}'`;
}

/** Whether a field must be given: no default, not optional. */
const isRequired = (node: FieldNode) => !node.hasDefault && !node.optional;

/**
 * The command that fixes the key at `path`: its own `fix`, or `pulumi config set` with its
 * example or default. An object or list without either is fixed through its first required
 * field (else its first field that has a fix), so a missing `botApi` points at `botApi.apiId`.
 */
export function fixFor(root: z.ZodType, path: readonly Segment[]): string | undefined {
    const node = nodeAt(root, path);
    if (node === undefined) return undefined;
    if (node.meta.fix !== undefined) return node.meta.fix;
    const value =
        node.meta.example === undefined
            ? defaultWord(node.defaultValue)
            : String(node.meta.example);
    if (value !== undefined) return setCommand(keyOf(path), value, node.meta.secret === true);
    if (node.schema instanceof z.ZodArray) return fixFor(root, [...path, 0]);
    if (node.schema instanceof z.ZodObject) {
        const keys = Object.keys(node.schema.shape);
        const required = keys.filter((key) => isRequired(unwrap(childSchema(node.schema, key)!)));
        for (const key of [...required, ...keys]) {
            const fix = fixFor(root, [...path, key]);
            if (fix !== undefined) return fix;
        }
    }
    return undefined;
}

/** Custom issues pass `params: NO_FIX` when their message already says what to do. */
export const NO_FIX = { fix: false } as const;

/** One line per issue: `key: what is wrong: the command that fixes it`. */
export function describeIssue(root: z.ZodType, issue: z.core.$ZodIssue): string {
    const key = keyOf(issue.path) || "(config)";
    if (issue.code === "unrecognized_keys") {
        const remove = issue.keys.map((name) => removeCommand(keyOf([...issue.path, name])));
        return (
            `${key}: unknown key(s) ${issue.keys.join(", ")}: ` +
            `check the spelling or remove it: ${remove.join("; ")}`
        );
    }
    const noFix = issue.code === "custom" && issue.params?.fix === false;
    const fix = noFix ? undefined : fixFor(root, issue.path);
    return fix === undefined ? `${key}: ${issue.message}` : `${key}: ${issue.message}: ${fix}`;
}
