import type { Client } from "ssh2";
import type { OpsTarget } from "./stack-target";

/**
 * One ops command as one table entry: its usage, options, parser and remote action side by side.
 * A new command is its entry in commands.ts (listed in COMMANDS) and, when it runs something on
 * the host, the function that builds that shell text in remote-commands.ts (plain strings, so
 * tests read them); parsing, help and dispatch (args.ts, main.ts) come from the table.
 */

export class UsageError extends Error {}

/** A flag as `node:util` parseArgs takes it, plus what the help shows. */
export interface OptionSpec {
    readonly type: "string" | "boolean";
    readonly short?: string;
    /** Placeholder of the value in the help, e.g. "<dir>" (string options only). */
    readonly value?: string;
    readonly description: string;
}

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

export interface GlobalOptions {
    stack?: string;
    identity?: string;
}

/** What a command's action gets: the resolved target and ways to talk to it and the operator. */
export interface OpsContext {
    readonly target: OpsTarget;
    readonly global: GlobalOptions;
    /** stdin and stdout are both terminals (interactive use). */
    readonly terminal: boolean;
    /** Connects with the pinned host key; the caller ends the client. */
    connect(): Promise<Client>;
    ask(question: string): Promise<string>;
}

export interface CommandSpec<P> {
    readonly name: string;
    /** Positional arguments for the usage line, e.g. "[service]" or "<file>". */
    readonly args?: string;
    /** Help text; the first line also goes into the command list. */
    readonly summary: readonly string[];
    readonly options?: Readonly<Record<string, OptionSpec>>;
    /**
     * Everything after the command name goes to `parse` unparsed (psql, exec); only a leading
     * `--help` is ops' own.
     */
    readonly passThrough?: boolean;
    /** Turns parsed flags and positionals into the action's parameters; throws UsageError. */
    readonly parse: (values: OptionValues, positionals: readonly string[]) => P;
    /** Runs the command; resolves to the process exit status. */
    readonly run: (params: P, context: OpsContext) => Promise<number>;
}

/** Erases the parameter type so commands with different parameters share one table. */
export type AnyCommand = CommandSpec<unknown>;

export function defineCommand<P>(spec: CommandSpec<P>): AnyCommand {
    return spec as unknown as AnyCommand;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
}

export function flag(values: OptionValues, name: string): boolean {
    return values[name] === true;
}

export function noPositionals(command: string, positionals: readonly string[]): void {
    if (positionals.length > 0) {
        throw new UsageError(`${command} takes no argument ${positionals[0]}`);
    }
}
