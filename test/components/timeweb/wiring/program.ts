/*
 * Runs the TimewebServer component under Pulumi mocks in a plain CommonJS Node process (tsx),
 * the way Pulumi's own TypeScript runtime loads the program, and prints what it saw as JSON.
 * Run by timeweb-server.wiring.test.ts; not a test file itself.
 *
 * Beyond the graph it checks the part mocks never exercise: each dynamic resource's provider
 * is serialized into `__provider` exactly as `pulumi up` stores it, and here it is loaded back
 * the way the dynamic-provider host does (require-from-string + handler()) and driven against
 * the loopback fake API. That fails if a provider closes over something unserializable.
 */
import * as pulumi from "@pulumi/pulumi";

// Untyped, and how Pulumi's dynamic-provider host loads a serialized provider itself.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireFromString = require("require-from-string") as (code: string) => {
    handler: () => pulumi.dynamic.ResourceProvider;
};

interface Seen {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    parent?: string;
    protect?: boolean;
    additionalSecretOutputs?: string[];
}

const endpoint = process.env.FAKE_TIMEWEB_URL ?? "";
const fakeToken = process.env.FAKE_TIMEWEB_TOKEN ?? "";
const TOKEN = "obviously-fake-timeweb-token";
const OPERATOR_KEY =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKeyForTestsOnly00000000000000000 op@laptop";

const seen: Seen[] = [];
const options: Record<
    string,
    { parent?: string; protect?: boolean; additionalSecretOutputs?: string[] }
> = {};

function stateFor(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
    if (type.endsWith(":SshKey")) return { ...inputs, keyId: 501 };
    if (type.endsWith(":FirewallGroup")) return { ...inputs, ruleIds: {} };
    if (type.endsWith(":Server"))
        return { ...inputs, serverId: 1042, ipv4: "192.0.2.10", status: "on", presetPrice: 550 };
    if (type.endsWith(":PinnedHostKey")) {
        return {
            ...inputs,
            hostKey: "ssh-ed25519 AAAAhost",
            fingerprint: "SHA256:abc",
            authMethods: ["publickey"],
        };
    }
    return inputs;
}

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) =>
        output.apply((value) => {
            resolve(value);
            return value;
        }),
    );
}

async function roundTrip(providerText: string) {
    const provider = requireFromString(providerText).handler();
    const key = await provider.create({
        token: fakeToken,
        name: "serialized-key",
        body: OPERATOR_KEY,
    });
    await provider.delete!(key.id, key.outs);
    const outs = key.outs as { keyId: number };
    return { created: outs.keyId === Number(key.id), methods: Object.keys(provider).sort() };
}

async function main() {
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const inputs = args.inputs as Record<string, unknown>;
                seen.push({ type: args.type, name: args.name, inputs });
                const id = args.type.endsWith(":Server") ? "1042" : `${args.name}-id`;
                return { id, state: stateFor(args.type, inputs) };
            },
            call: (args) => args.inputs as Record<string, unknown>,
        },
        "telegram-ecosystem",
        "test",
    );

    const { TimewebServer } = await import("../../../../components/timeweb/timeweb-server");
    const { parseTimewebConfig } = await import("../../../../components/timeweb/config");
    const config = parseTimewebConfig({ createServer: true, sshPublicKey: OPERATOR_KEY });
    const component = new TimewebServer(
        "vps",
        {
            config,
            token: TOKEN,
            sshPort: 2222,
            providerOptions: {
                endpoint,
                retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 },
                pollIntervalMs: 0,
            },
        },
        {
            transformations: [
                (args) => {
                    const custom = args.opts as pulumi.CustomResourceOptions;
                    options[args.name] = {
                        parent: args.opts.parent?.constructor.name,
                        protect: args.opts.protect,
                        additionalSecretOutputs: custom.additionalSecretOutputs,
                    };
                    return undefined;
                },
            ],
        },
    );
    const outputs = {
        serverId: await valueOf(component.serverId),
        ipv4: await valueOf(component.ipv4),
        hostKey: await valueOf(component.hostKey),
        hostKeyFingerprint: await valueOf(component.hostKeyFingerprint),
        monthlyPriceRub: await valueOf(component.monthlyPriceRub),
        ipv4IsSecret: await pulumi.isSecret(component.ipv4),
    };
    const resources = seen.map((s) => ({ ...s, ...options[s.name] }));
    const sshKey = resources.find((r) => r.type.endsWith(":SshKey"));
    const serialized = await roundTrip(String(sshKey?.inputs.__provider));
    const providers: Record<string, string> = {};
    let tokenInProviderText = false;
    for (const resource of resources) {
        const text = resource.inputs.__provider;
        if (typeof text === "string") {
            tokenInProviderText ||= text.includes(TOKEN);
            providers[resource.name] = Object.keys(requireFromString(text).handler())
                .sort()
                .join(",");
            delete resource.inputs.__provider;
        }
    }
    process.stdout.write(
        JSON.stringify({ resources, outputs, serialized, providers, tokenInProviderText }),
    );
}

main().catch((error: unknown) => {
    process.stderr.write(String(error instanceof Error ? error.stack : error));
    process.exit(1);
});
