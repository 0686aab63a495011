/**
 * Quotes one argument for a POSIX shell (the remote user's login shell runs every command we
 * send). Plain words stay readable; anything else is single-quoted, with embedded single quotes
 * written as '\''.
 */
export function shellQuote(value: string): string {
    if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
    return `'${value.replace(/'/g, "'\\''")}'`;
}

/** Quotes every argument and joins them with spaces. */
export function shellJoin(args: readonly string[]): string {
    return args.map(shellQuote).join(" ");
}
