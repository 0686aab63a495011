import { z } from "zod";
import { describeIssue } from "../config/field-docs";
import { SERVER_TYPES } from "./catalog";

const cidr = z
    .string()
    .regex(
        /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/,
        "must be a CIDR like 203.0.113.7/32 (or 0.0.0.0/0 for everyone)",
    )
    .meta({ example: "203.0.113.7/32" });

const count = (description: string) =>
    z.number().int().positive().meta({ description, example: 1 });

const presetSchema = z
    .object({
        id: count("the preset's id").optional(),
        descriptionShort: z.string().min(1).optional().meta({
            description: "the preset's name, like `Cloud MSK 30`",
            example: "'Cloud MSK 30'",
        }),
        cpu: count("vCPUs").optional(),
        ramMb: count("RAM in MB").meta({ example: 2048 }).optional(),
        minDiskMb: count("at least this much disk, in MB").meta({ example: 20480 }).optional(),
    })
    .strict();

const configurationSchema = z
    .object({
        cpu: count("vCPUs"),
        ramMb: count("RAM in MB").meta({ example: 2048 }),
        diskMb: count("disk in MB").meta({ example: 20480 }),
        type: z
            .enum(SERVER_TYPES, { error: `must be one of ${SERVER_TYPES.join(", ")}` })
            .default("standard")
            .meta({ description: "the configurator's tariff line; each location offers several" }),
        gpu: z.number().int().nonnegative().optional().meta({
            description: "GPUs; only the gpu line has any (unset: 0, or the gpu line's minimum)",
            example: 1,
        }),
    })
    .strict();

/**
 * The `timeweb` block of the stack config (`pulumi config set --path timeweb.createServer true`).
 * The API token is not part of it: it is the secret `timeweb:token`.
 */
export const timewebConfigSchema = z
    .object({
        createServer: z
            .boolean()
            .default(false)
            .meta({ description: "create the VPS through the API; when false, `host` is used" }),
        name: z
            .string()
            .min(1)
            .max(255)
            .default("telegram-ecosystem")
            .meta({ description: "server name in the panel; unique per account" }),
        location: z
            .string()
            .min(1)
            .default("ru-3")
            .meta({ description: "preset catalogue location; `ru-3` is Moscow" }),
        availabilityZone: z
            .string()
            .min(1)
            .default("msk-1")
            .meta({ description: "availability zone in the location; `msk-1` for Moscow" }),
        preset: presetSchema.default({ cpu: 1, ramMb: 2048 }).meta({
            description:
                "the cheapest preset matching these filters, unless `configuration` is set",
        }),
        configuration: configurationSchema
            .optional()
            .meta({ description: "exact resources through the configurator instead of a preset" }),
        os: z
            .object({
                name: z.string().min(1).meta({ description: "OS name", example: "ubuntu" }),
                version: z.string().min(1).meta({ description: "OS version", example: "24.04" }),
            })
            .strict()
            .default({ name: "ubuntu", version: "24.04" })
            .meta({ description: "the server's operating system" }),
        sshPublicKey: z
            .string()
            .regex(
                /^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) [A-Za-z0-9+/=]+( .*)?$/,
                "must be one OpenSSH public key line",
            )
            .optional()
            .meta({
                description: "the public key the server is created with; unset: `operatorKeys[0]`",
                example: '"$(cat ~/.ssh/id_ed25519.pub)"',
            }),
        sshKeyName: z.string().min(1).default("telegram-ecosystem-deploy").meta({
            description: "name of the SSH key in the panel; a short hash of the key is appended",
        }),
        firewall: z
            .object({
                allowSshFrom: z
                    .array(cidr)
                    .min(1, "needs at least one CIDR")
                    .default(["0.0.0.0/0"])
                    .meta({ description: "CIDRs the Timeweb firewall lets reach SSH" }),
            })
            .strict()
            .prefault({}),
        protect: z
            .boolean()
            .default(true)
            .meta({ description: "protect the server from `pulumi destroy` and replacement" }),
        bootTimeoutMinutes: z.number().int().positive().default(15).meta({
            description: "minutes to wait for the first boot before pinning the host key",
        }),
    })
    .strict()
    .superRefine((value, ctx) => {
        if (value.createServer && value.sshPublicKey === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["sshPublicKey"],
                message: "is required when timeweb.createServer is true",
            });
        }
    });

export type TimewebConfig = z.infer<typeof timewebConfigSchema>;

/** Parses the raw block (undefined when absent) and reports every problem with its key. */
export function parseTimewebConfig(raw: unknown): TimewebConfig {
    const schema = z.object({ timeweb: timewebConfigSchema });
    const result = schema.safeParse({ timeweb: raw ?? {} });
    if (result.success) return result.data.timeweb;
    const lines = result.error.issues.map((issue) => `- ${describeIssue(schema, issue)}`);
    throw new Error(`Invalid stack config:\n${lines.join("\n")}`);
}
