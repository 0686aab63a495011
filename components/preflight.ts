import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/config";
import { PreflightError, type ConnectionKey, type DockerIdentity } from "./config/preflight";
import { runPreflight } from "./preflight-probes";
import { dockerSshFiles } from "./docker-provider";
import type { TargetHost } from "./target-host";

export interface PreflightGateArgs {
    readonly config: StackConfig;
    readonly target: TargetHost;
    /** The public half of sshPrivateKey (when set) and whether it has a passphrase. */
    readonly connectionKey?: ConnectionKey;
    readonly sshPrivateKey?: pulumi.Output<string>;
    readonly workDir?: string;
}

/**
 * The address every SSH client of the program dials. On `pulumi up` it resolves only once the
 * preflight (components/config/preflight.ts) passed and the Docker provider's identity file is
 * written, so no step and no image build touches the server before; otherwise the run fails
 * with every problem and its fix. A dry run (the pull-request preview) connects nowhere and has
 * no SSH key, so it is not checked.
 */
export function preflightGatedHost(args: PreflightGateArgs): pulumi.Output<string> {
    const host = pulumi.output(args.target.host);
    if (pulumi.runtime.isDryRun()) return host;
    const identity = pulumi
        .all([args.target.host, args.target.hostKey])
        .apply(async ([address, hostKey]) => {
            const result = await runPreflight(
                args.config,
                { host: address, ...(hostKey === undefined ? {} : { hostKey }) },
                args.connectionKey,
                { env: process.env, probeHost: true },
            );
            if (result.problems.length > 0 || result.dockerIdentity === undefined) {
                throw new PreflightError(result.problems);
            }
            return identityFileContent(result.dockerIdentity);
        });
    const file = path.join(
        args.workDir ?? process.cwd(),
        dockerSshFiles(pulumi.getStack()).identity,
    );
    const written = writeDockerIdentity(identity, args.sshPrivateKey, file);
    return pulumi.all([host, written]).apply(([address]) => address);
}

/** The identity file holds the private key itself, or the public key of the agent key to use. */
function identityFileContent(
    identity: DockerIdentity,
): { privateKey: true } | { publicKey: string } {
    return identity.kind === "private-key"
        ? { privateKey: true }
        : {
              publicKey: `${identity.publicKey.type} ${identity.publicKey.blob.toString("base64")}\n`,
          };
}

/** Writes the Docker provider's identity file (0600); it lives only while this program runs. */
function writeDockerIdentity(
    identity: pulumi.Output<ReturnType<typeof identityFileContent>>,
    privateKey: pulumi.Output<string> | undefined,
    file: string,
): pulumi.Output<boolean> {
    const written = pulumi
        .all([identity, privateKey ?? pulumi.output(undefined)])
        .apply(([selected, pem]) => {
            const content = "publicKey" in selected ? selected.publicKey : pem;
            if (content === undefined)
                throw new Error("the preflight chose sshPrivateKey, which is not set");
            mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
            writeFileSync(file, content, { mode: 0o600 });
            chmodSync(file, 0o600);
            process.once("exit", () => rmSync(file, { force: true }));
            return true;
        });
    return pulumi.unsecret(written);
}
