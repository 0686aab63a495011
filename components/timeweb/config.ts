import { z } from "zod";
import { SERVER_TYPES } from "./catalog";

const cidr = z
    .string()
    .regex(
        /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/,
        "must be a CIDR like 203.0.113.7/32 (or 0.0.0.0/0 for everyone)",
    );

const presetSchema = z
    .object({
        id: z.number().int().positive().optional(),
        descriptionShort: z.string().min(1).optional(),
        cpu: z.number().int().positive().optional(),
        ramMb: z.number().int().positive().optional(),
        minDiskMb: z.number().int().positive().optional(),
    })
    .strict();

const configurationSchema = z
    .object({
        cpu: z.number().int().positive(),
        ramMb: z.number().int().positive(),
        diskMb: z.number().int().positive(),
        /** Tariff line of the configurator; each location offers several. */
        type: z
            .enum(SERVER_TYPES, {
                error:
                    `must be one of ${SERVER_TYPES.join(", ")}: ` +
                    "pulumi config set --path timeweb.configuration.type standard",
            })
            .default("standard"),
        /** GPUs; only the gpu line has any. Default 0 (the gpu line: its minimum). */
        gpu: z.number().int().nonnegative().optional(),
    })
    .strict();

/**
 * The `timeweb` block of the stack config (`pulumi config set --path timeweb.createServer true`).
 * The API token is not part of it: it is the secret `timeweb:token`.
 */
export const timewebConfigSchema = z
    .object({
        /** Create the VPS through the API; when false the program uses `host` as before. */
        createServer: z.boolean().default(false),
        /** Server name in the panel; unique per account. */
        name: z.string().min(1).max(255).default("telegram-ecosystem"),
        /** Preset catalogue location; ru-3 is Moscow. */
        location: z.string().min(1).default("ru-3"),
        /** Availability zone inside the location; msk-1 for Moscow. */
        availabilityZone: z.string().min(1).default("msk-1"),
        /** Cheapest preset matching these filters, unless `configuration` is set. */
        preset: presetSchema.default({ cpu: 1, ramMb: 2048 }),
        /** Exact resources through the configurator instead of a preset. */
        configuration: configurationSchema.optional(),
        os: z
            .object({ name: z.string().min(1), version: z.string().min(1) })
            .strict()
            .default({ name: "ubuntu", version: "24.04" }),
        /** The operator's public key line (contents of ~/.ssh/id_ed25519.pub). */
        sshPublicKey: z
            .string()
            .regex(
                /^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) [A-Za-z0-9+/=]+( .*)?$/,
                "must be one OpenSSH public key line: " +
                    'pulumi config set --path timeweb.sshPublicKey "$(cat ~/.ssh/id_ed25519.pub)"',
            )
            .optional(),
        /** Name prefix of the SSH key in the panel; a short hash of the key is appended. */
        sshKeyName: z.string().min(1).default("telegram-ecosystem-deploy"),
        firewall: z
            .object({
                allowSshFrom: z
                    .array(cidr)
                    .min(
                        1,
                        "needs at least one CIDR: " +
                            "pulumi config set --path 'timeweb.firewall.allowSshFrom[0]' 0.0.0.0/0",
                    )
                    .default(["0.0.0.0/0"]),
            })
            .strict()
            .default({ allowSshFrom: ["0.0.0.0/0"] }),
        /** Protect the server from `pulumi destroy` and replacement. */
        protect: z.boolean().default(true),
        /** How long to wait for the first boot before pinning the host key, in minutes. */
        bootTimeoutMinutes: z.number().int().positive().default(15),
    })
    .strict()
    .superRefine((value, ctx) => {
        if (value.createServer && value.sshPublicKey === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["sshPublicKey"],
                message:
                    "is required when timeweb.createServer is true: " +
                    'pulumi config set --path timeweb.sshPublicKey "$(cat ~/.ssh/id_ed25519.pub)"',
            });
        }
    });

export type TimewebConfig = z.infer<typeof timewebConfigSchema>;

/** Parses the raw block (undefined when absent) and reports every problem with its key. */
export function parseTimewebConfig(raw: unknown): TimewebConfig {
    const result = timewebConfigSchema.safeParse(raw ?? {});
    if (result.success) return result.data;
    const lines = result.error.issues.map((issue) => {
        const key = ["timeweb", ...issue.path.map(String)].join(".");
        return `- ${key}: ${issue.message}`;
    });
    throw new Error(`Invalid stack config:\n${lines.join("\n")}`);
}
