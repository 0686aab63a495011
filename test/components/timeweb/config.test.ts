import { describe, expect, it } from "vitest";
import { parseTimewebConfig } from "../../../components/timeweb/config";
import { OPERATOR_KEY } from "../../helpers/timeweb-fixtures";

describe("timeweb config block", () => {
    it("defaults to no server, else a protected 1 vCPU/2 GB Ubuntu 24.04 in Moscow", () => {
        expect(parseTimewebConfig(undefined)).toEqual({
            createServer: false,
            name: "telegram-ecosystem",
            location: "ru-3",
            availabilityZone: "msk-1",
            preset: { cpu: 1, ramMb: 2048 },
            os: { name: "ubuntu", version: "24.04" },
            sshKeyName: "telegram-ecosystem-deploy",
            firewall: { allowSshFrom: ["0.0.0.0/0"] },
            protect: true,
            bootTimeoutMinutes: 15,
        });
    });

    it("accepts a full block", () => {
        const parsed = parseTimewebConfig({
            createServer: true,
            sshPublicKey: OPERATOR_KEY,
            preset: { descriptionShort: "Cloud MSK 30" },
            firewall: { allowSshFrom: ["203.0.113.7/32"] },
            protect: false,
        });
        expect(parsed.preset).toEqual({ descriptionShort: "Cloud MSK 30" });
        expect(parsed.firewall.allowSshFrom).toEqual(["203.0.113.7/32"]);
        expect(parsed.protect).toBe(false);
    });

    it("sizes a configurator server on the standard line unless told otherwise", () => {
        const sized = (configuration: object) =>
            parseTimewebConfig({ configuration }).configuration;
        expect(sized({ cpu: 2, ramMb: 4096, diskMb: 20480 })).toEqual({
            cpu: 2,
            ramMb: 4096,
            diskMb: 20480,
            type: "standard",
        });
        expect(sized({ cpu: 4, ramMb: 16384, diskMb: 51200, type: "gpu", gpu: 2 })).toMatchObject({
            type: "gpu",
            gpu: 2,
        });
        expect(() => sized({ cpu: 1, ramMb: 1024, diskMb: 10240, type: "turbo" })).toThrow(
            /timeweb\.configuration\.type: must be one of standard, premium, dedicated_cpu, gpu: pulumi config set --path timeweb\.configuration\.type standard/,
        );
    });

    it("names every bad key and how to fix it", () => {
        const attempt = () =>
            parseTimewebConfig({
                createServer: true,
                firewall: { allowSshFrom: ["everyone"] },
                preset: { cpu: 0 },
                sizes: "big",
            });
        expect(attempt).toThrow(/- timeweb\.sshPublicKey: is required when timeweb\.createServer/);
        expect(attempt).toThrow(/config set --path timeweb\.sshPublicKey .*id_ed25519\.pub/);
        expect(attempt).toThrow(
            /- timeweb\.firewall\.allowSshFrom\[0\]: must be a CIDR like 203\.0\.113/,
        );
        expect(attempt).toThrow(/timeweb\.preset\.cpu/);
        expect(attempt).toThrow(/unknown key\(s\) sizes: .*pulumi config rm --path timeweb\.sizes/);
    });

    it("rejects something that is not a public key", () => {
        expect(() =>
            parseTimewebConfig({ sshPublicKey: "-----BEGIN OPENSSH PRIVATE KEY-----" }),
        ).toThrow(/timeweb\.sshPublicKey: must be one OpenSSH public key line: pulumi config set/);
    });
});
