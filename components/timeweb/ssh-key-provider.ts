import type * as pulumi from "@pulumi/pulumi";
import { callApi, isTimewebApiError } from "./api-client";
import { apiContext, ProviderOptions } from "./provider-options";

/** Inputs of a Timeweb SSH key (POST /api/v1/ssh-keys). */
export interface SshKeyInputs {
    /** API token; secret. */
    readonly token: string;
    /** Name shown in the panel. */
    readonly name: string;
    /** One authorized_keys line: `ssh-ed25519 AAAA... comment`. */
    readonly body: string;
}

export interface SshKeyOutputs extends SshKeyInputs {
    /** Numeric key id as Timeweb returns it; servers take it in `ssh_keys_ids`. */
    readonly keyId: number;
}

interface ApiSshKey {
    readonly id: number;
    readonly name: string;
    readonly body: string;
}

/** Key type and base64 blob: the part that matters, without comment or whitespace. */
export function keyMaterial(body: string): string {
    return body.trim().split(/\s+/).slice(0, 2).join(" ");
}

/**
 * Diff rules: a new key body replaces the key (a new id, so servers get it through their own
 * in-place `sshKeyIds` update); a new name is a PATCH; a new token only rewrites state.
 */
export function diffSshKey(olds: SshKeyOutputs, news: SshKeyInputs): pulumi.dynamic.DiffResult {
    const replaces = keyMaterial(olds.body) === keyMaterial(news.body) ? [] : ["body"];
    const changes = replaces.length > 0 || olds.name !== news.name || olds.token !== news.token;
    return { changes, replaces };
}

export function sshKeyProvider(options: ProviderOptions): pulumi.dynamic.ResourceProvider {
    return {
        check(_olds: SshKeyInputs, news: SshKeyInputs) {
            const failures: pulumi.dynamic.CheckFailure[] = [];
            if (
                !/^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) [A-Za-z0-9+/=]+/.test(
                    (news.body ?? "").trim(),
                )
            ) {
                failures.push({
                    property: "body",
                    reason:
                        "timeweb.sshPublicKey must be one OpenSSH public key line " +
                        "(ssh-ed25519 AAAA...); paste the content of your ~/.ssh/id_ed25519.pub",
                });
            }
            if (!news.name) failures.push({ property: "name", reason: "the SSH key needs a name" });
            return Promise.resolve({ inputs: news, failures });
        },

        diff(_id: string, olds: SshKeyOutputs, news: SshKeyInputs) {
            return Promise.resolve(diffSshKey(olds, news));
        },

        async create(inputs: SshKeyInputs) {
            const ctx = apiContext(options, inputs.token);
            const answer = await callApi<{ ssh_key: ApiSshKey }>(ctx, "POST", "/ssh-keys", {
                name: inputs.name,
                body: inputs.body.trim(),
                is_default: false,
            });
            const outs: SshKeyOutputs = { ...inputs, keyId: answer.ssh_key.id };
            return { id: String(answer.ssh_key.id), outs };
        },

        async read(id: string, props: SshKeyOutputs) {
            const ctx = apiContext(options, props.token);
            try {
                const answer = await callApi<{ ssh_key: ApiSshKey }>(ctx, "GET", `/ssh-keys/${id}`);
                const key = answer.ssh_key;
                return { id, props: { ...props, name: key.name, body: key.body, keyId: key.id } };
            } catch (error) {
                if (isTimewebApiError(error) && error.status === 404) return {};
                throw error;
            }
        },

        async update(id: string, olds: SshKeyOutputs, news: SshKeyInputs) {
            if (olds.name !== news.name) {
                await callApi(apiContext(options, news.token), "PATCH", `/ssh-keys/${id}`, {
                    name: news.name,
                });
            }
            const outs: SshKeyOutputs = { ...news, keyId: olds.keyId };
            return { outs };
        },

        async delete(id: string, props: SshKeyOutputs) {
            try {
                await callApi(apiContext(options, props.token), "DELETE", `/ssh-keys/${id}`);
            } catch (error) {
                if (isTimewebApiError(error) && error.status === 404) return;
                throw error;
            }
        },
    };
}
