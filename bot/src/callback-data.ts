/** A field of callback data: a pattern for free values, or the list of allowed words. */
type FieldSpec = RegExp | readonly string[];
type FieldValue<S> = S extends readonly (infer Word)[] ? Word : string;
export type CallbackValues<F extends Record<string, FieldSpec>> = {
    [K in keyof F]: FieldValue<F[K]>;
};

export interface CallbackData<F extends Record<string, FieldSpec>> {
    /** Matches well-formed data of this kind only: use it to route button presses. */
    readonly filter: RegExp;
    pack(values: CallbackValues<F>): string;
    /** The typed fields, or null for data of another kind or a forged value. */
    unpack(data: string): CallbackValues<F> | null;
}

/**
 * Typed callback data `prefix:field1:field2...` (as the grammY bot template does it): each kind of
 * button gets its own prefix and its own feature, matched by `filter`, so adding a button never
 * touches another button's handler. Fields are checked strictly on the way in.
 */
export function callbackData<const F extends Record<string, FieldSpec>>(
    prefix: string,
    fields: F,
): CallbackData<F> {
    const specs = Object.entries(fields) as Array<[keyof F & string, FieldSpec]>;
    const names = specs.map(([name]) => name);
    const source = (spec: FieldSpec) =>
        spec instanceof RegExp ? spec.source : spec.map(escapeRegExp).join("|");
    const filter = new RegExp(
        `^${escapeRegExp(prefix)}${specs.map(([, spec]) => `:(${source(spec)})`).join("")}$`,
    );
    return {
        filter,
        pack(values) {
            const data = [prefix, ...names.map((n) => String(values[n]))].join(":");
            if (!filter.test(data)) throw new Error(`bad callback data for ${prefix}: ${data}`);
            return data;
        },
        unpack(data) {
            const match = filter.exec(data);
            if (!match) return null;
            return Object.fromEntries(names.map((n, i) => [n, match[i + 1]])) as CallbackValues<F>;
        },
    };
}

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
