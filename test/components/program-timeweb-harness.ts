/*
 * Runs index.ts under Pulumi mocks in a plain CommonJS Node process (tsx) and prints what it saw
 * as JSON. Run by program-timeweb.test.ts; not a test itself. A child process because the
 * Timeweb resources are dynamic: Pulumi serializes their providers, and vitest's module runner
 * hands its closure serializer wrapped modules it cannot serialize
 * (see test/components/timeweb/timeweb-server.wiring.test.ts).
 *
 * Input (environment): HARNESS_INPUT = JSON of HarnessInput. The working directory is the
 * caller's temporary directory (the program writes .pulumi-ssh/ there).
 */
import Module from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { cleanPreflight, PROJECT, SECRET_SIG_KEY, SECRET_SIG_VALUE } from "../helpers/pulumi-mocks";

// The preflight's probes ask ssh-agent and dial the host: here they report a clean run.
const moduleLoader = Module as unknown as {
    _load: (request: string, ...rest: unknown[]) => unknown;
};
const load = moduleLoader._load;
moduleLoader._load = function (request: string, ...rest: unknown[]) {
    const loaded = load.call(this, request, ...rest);
    return request.endsWith("/preflight-probes")
        ? { ...(loaded as object), runPreflight: cleanPreflight }
        : loaded;
};

export interface HarnessInput {
    /** Project config keys (without the project prefix), as plain values. */
    readonly config: Record<string, unknown>;
    /** Project keys whose values are secret. */
    readonly secretKeys: readonly string[];
    /** `timeweb:token`, when set. */
    readonly timewebToken?: string;
    readonly preview: boolean;
    /** What the mocked Timeweb resources report. */
    readonly vps: {
        readonly ipv4: string;
        readonly hostKey: string;
        readonly fingerprint: string;
        readonly priceRub: number;
    };
}

export interface SeenResource {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
}

export interface SeenOutput {
    readonly known: boolean;
    readonly secret: boolean;
    readonly value: unknown;
}

export interface HarnessReport {
    /** The program's error, when it failed; resources are those registered before it. */
    readonly error?: string;
    readonly resources: SeenResource[];
    /** Each stack export: Outputs resolved; `undefined` exports are absent. */
    readonly outputs: Record<string, SeenOutput>;
}

const input = JSON.parse(process.env.HARNESS_INPUT ?? "{}") as HarnessInput;
const seen: SeenResource[] = [];

function mockState(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
    if (input.preview) return inputs; // a first preview: every output is unknown
    const { vps } = input;
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            return {
                ...inputs,
                result: { [SECRET_SIG_KEY]: SECRET_SIG_VALUE, value: "HarnessPassword0123456789" },
            };
        case "docker:index/image:Image":
            return { ...inputs, repoDigest: `sha256:${"cd".repeat(32)}` };
        case "command:remote:Command":
            return { ...inputs, stdout: "UNCHANGED", stderr: "" };
        case "pulumi-nodejs:dynamic/timeweb:SshKey":
            return { ...inputs, keyId: 501 };
        case "pulumi-nodejs:dynamic/timeweb:FirewallGroup":
            return { ...inputs, ruleIds: {} };
        case "pulumi-nodejs:dynamic/timeweb:Server":
            return {
                ...inputs,
                serverId: 1042,
                ipv4: vps.ipv4,
                status: "on",
                presetPrice: vps.priceRub,
            };
        case "pulumi-nodejs:dynamic/timeweb:PinnedHostKey":
            return {
                ...inputs,
                hostKey: vps.hostKey,
                fingerprint: vps.fingerprint,
                authMethods: ["publickey"],
            };
        default:
            return inputs;
    }
}

/** An Output's state without waiting forever on an unknown one (apply never runs for those). */
async function inspect(output: pulumi.Output<unknown>): Promise<SeenOutput> {
    const internal = output as unknown as {
        isKnown: Promise<boolean>;
        promise(): Promise<unknown>;
    };
    const known = await internal.isKnown;
    return {
        known,
        secret: await pulumi.isSecret(output),
        value: known ? await internal.promise() : undefined,
    };
}

async function settle(): Promise<void> {
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function main(): Promise<HarnessReport> {
    const config: Record<string, string> = Object.fromEntries(
        Object.entries(input.config).map(([key, value]) => [
            `${PROJECT}:${key}`,
            typeof value === "string" ? value : JSON.stringify(value),
        ]),
    );
    const secretKeys = input.secretKeys.map((key) => `${PROJECT}:${key}`);
    if (input.timewebToken !== undefined) {
        config["timeweb:token"] = input.timewebToken;
        secretKeys.push("timeweb:token");
    }
    pulumi.runtime.setAllConfig(config, secretKeys);
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const inputs = { ...(args.inputs as Record<string, unknown>) };
                delete inputs.__provider; // serialized provider source: large and not ours
                seen.push({ type: args.type, name: args.name, inputs });
                const id = args.type.endsWith("timeweb:Server") ? "1042" : `${args.name}-id`;
                return { id, state: mockState(args.type, args.inputs as Record<string, unknown>) };
            },
            call: (args) => args.inputs as Record<string, unknown>,
        },
        PROJECT,
        "test",
        input.preview,
    );
    let program: Record<string, unknown>;
    try {
        program = await import("../../index");
    } catch (error) {
        await settle();
        return { error: String((error as Error).message ?? error), resources: seen, outputs: {} };
    }
    await settle();
    const outputs: Record<string, SeenOutput> = {};
    for (const [key, value] of Object.entries(program)) {
        if (value === undefined || key === "default" || key === "__esModule") continue;
        outputs[key] = pulumi.Output.isInstance(value)
            ? await inspect(value)
            : { known: true, secret: false, value };
    }
    await settle();
    return { resources: seen, outputs };
}

main().then(
    (report) => process.stdout.write(JSON.stringify(report)),
    (error: unknown) => {
        process.stderr.write(String((error as Error)?.stack ?? error));
        process.exit(1);
    },
);
