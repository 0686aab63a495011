import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../components/config/config";
import {
    preflight,
    type ConnectionKey,
    type PreflightResult,
} from "../../components/config/preflight";
import { parsePublicKeyLine } from "../../components/config/ssh-keys";

/** How a secret input reaches a mock's newResource (pulumi-notes §9). */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
    readonly provider?: string;
}

export const PROJECT = "telegram-ecosystem";

export function isSecretWrapper(value: unknown): value is { value: unknown } {
    return (
        typeof value === "object" &&
        value !== null &&
        (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG_VALUE
    );
}

/** A deep copy with every secret replaced by "[secret]": what may be shown or stored in clear. */
export function withoutSecrets(value: unknown): unknown {
    if (isSecretWrapper(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(withoutSecrets);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.entries(value).map(([key, item]) => [key, withoutSecrets(item)]),
        );
    }
    return value;
}

/** Fake outputs of the provider resources the program uses; in a first preview they are unknown. */
function mockState(
    args: pulumi.runtime.MockResourceArgs,
    options: MockOptions,
): Record<string, unknown> {
    const inputs = args.inputs as Record<string, unknown>;
    if (options.preview === true) return inputs;
    switch (args.type) {
        case "random:index/randomPassword:RandomPassword":
            // The engine would mark it secret; the mock must do so itself (pulumi-notes §9).
            return {
                ...inputs,
                result: { [SECRET_SIG_KEY]: SECRET_SIG_VALUE, value: options.generatedPassword },
            };
        case "docker:index/image:Image":
            return { ...inputs, repoDigest: `sha256:${"ab".repeat(32)}` };
        case "command:remote:Command": {
            const stdout = options.commandStdout?.(args.name) ?? "UNCHANGED";
            // The engine applies additionalSecretOutputs, which the mock never sees; the secret
            // steps are the ones run with logging off (step-commands.ts), so mark theirs here.
            const secret = inputs.logging === "none";
            return {
                ...inputs,
                stdout: secret ? { [SECRET_SIG_KEY]: SECRET_SIG_VALUE, value: stdout } : stdout,
                stderr: "",
            };
        }
        default:
            return inputs;
    }
}

/**
 * Sets the stack config (plain object with the stack's keys; listed keys are secret) and the
 * mocks. Returns the list that every registered resource is appended to.
 */
export interface MockOptions {
    config: Record<string, unknown>;
    secretKeys: readonly string[];
    generatedPassword: string;
    preview?: boolean;
    /** A command's stdout by resource name (default: "UNCHANGED"). */
    commandStdout?: (name: string) => string;
}

export async function installMocks(options: MockOptions): Promise<RecordedResource[]> {
    const recorded: RecordedResource[] = [];
    const config = Object.fromEntries(
        Object.entries(options.config).map(([key, value]) => [
            `${PROJECT}:${key}`,
            typeof value === "string" ? value : JSON.stringify(value),
        ]),
    );
    pulumi.runtime.setAllConfig(
        config,
        options.secretKeys.map((key) => `${PROJECT}:${key}`),
    );
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                recorded.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs as Record<string, unknown>,
                    ...(args.provider === undefined ? {} : { provider: args.provider }),
                });
                return {
                    id: `${args.name}-id`,
                    state: mockState(args, options),
                };
            },
            call: (args) => args.inputs as Record<string, unknown>,
        },
        PROJECT,
        "test",
        options.preview ?? false,
    );
    return recorded;
}

/** Resolves an Output (mocks resolve them on the event loop). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** Waits until registrations settle (they are asynchronous even under mocks). */
export async function settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * What the preflight's probes report under mocks, where nothing may ask an ssh-agent or dial a
 * host: the real checks (components/config/preflight.ts) over an agent that holds the operator
 * keys in config order, on a laptop, without the host handshake.
 */
export function cleanPreflight(
    config: StackConfig,
    target: { host: string; hostKey?: string },
    connectionKey?: ConnectionKey,
): Promise<PreflightResult> {
    return Promise.resolve(
        preflight({
            config,
            host: target.host,
            ...(target.hostKey === undefined ? {} : { hostKey: target.hostKey }),
            ...(connectionKey === undefined ? {} : { connectionKey }),
            agent: { socket: "mock-agent", keys: config.operatorKeys.map(parsePublicKeyLine) },
            githubHostedRunner: false,
        }),
    );
}
