import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    diffSshKey,
    SshKeyOutputs,
    sshKeyProvider,
} from "../../../components/timeweb/ssh-key-provider";
import { FakeTimewebApi } from "../../helpers/fake-timeweb-api";
import { fakeOptions, OPERATOR_KEY, OTHER_KEY, rejection } from "../../helpers/timeweb-fixtures";

let fake: FakeTimewebApi;
beforeAll(async () => {
    fake = await new FakeTimewebApi().start();
});
afterAll(async () => {
    await fake.close();
});

describe("SSH key provider against the fake API", () => {
    it("creates, reads, renames and deletes a key", async () => {
        const provider = sshKeyProvider(fakeOptions(fake));
        const inputs = { token: fake.token, name: "deploy-1", body: OPERATOR_KEY };

        const created = await provider.create(inputs);
        const outs = created.outs as SshKeyOutputs;
        expect(fake.sshKeys.get(outs.keyId)).toMatchObject({
            name: "deploy-1",
            body: OPERATOR_KEY,
            is_default: false,
        });
        expect(created.id).toBe(String(outs.keyId));

        const read = await provider.read!(created.id, outs);
        expect(read.props).toMatchObject({
            keyId: outs.keyId,
            name: "deploy-1",
            body: OPERATOR_KEY,
        });

        fake.sshKeys.get(outs.keyId)!.name = "renamed-in-panel";
        const drifted = await provider.read!(created.id, outs);
        expect((drifted.props as SshKeyOutputs).name).toBe("renamed-in-panel");

        const updated = await provider.update!(created.id, outs, { ...inputs, name: "deploy-2" });
        expect(fake.calls("PATCH", `/ssh-keys/${created.id}`).at(-1)?.body).toEqual({
            name: "deploy-2",
        });
        expect(fake.sshKeys.get(outs.keyId)?.name).toBe("deploy-2");
        expect((updated.outs as SshKeyOutputs).keyId).toBe(outs.keyId);

        await provider.delete!(created.id, updated.outs);
        expect(fake.sshKeys.has(outs.keyId)).toBe(false);
        expect(await provider.read!(created.id, outs)).toEqual({});
        await provider.delete!(created.id, updated.outs); // already gone: no error
    });

    it("rejects a malformed public key before calling the API", async () => {
        const provider = sshKeyProvider(fakeOptions(fake));
        const checked = await provider.check!(
            {},
            { token: fake.token, name: "k", body: "not a key" },
        );
        expect(checked.failures?.[0]).toMatchObject({ property: "body" });
        expect(checked.failures?.[0]?.reason).toContain("~/.ssh/id_ed25519.pub");
    });

    it("reports the API's validation message when creation fails", async () => {
        const provider = sshKeyProvider(fakeOptions(fake));
        const error = await rejection(
            provider.create({ token: fake.token, name: "", body: OPERATOR_KEY }),
        );
        expect(error.message).toContain("HTTP 400");
        expect(error.message).toContain("name should not be empty");
        expect(error.message).not.toContain(fake.token);
    });

    it("replaces on a new key body, updates in place on a new name or token", () => {
        const olds: SshKeyOutputs = { token: "t1", name: "a", body: OPERATOR_KEY, keyId: 5 };
        expect(diffSshKey(olds, { token: "t1", name: "a", body: OPERATOR_KEY })).toEqual({
            changes: false,
            replaces: [],
        });
        expect(
            diffSshKey(olds, {
                token: "t1",
                name: "a",
                body: `${OPERATOR_KEY.split(" ").slice(0, 2).join(" ")}  other-comment\n`,
            }),
        ).toEqual({ changes: false, replaces: [] });
        expect(diffSshKey(olds, { token: "t1", name: "a", body: OTHER_KEY })).toEqual({
            changes: true,
            replaces: ["body"],
        });
        expect(diffSshKey(olds, { token: "t1", name: "b", body: OPERATOR_KEY })).toEqual({
            changes: true,
            replaces: [],
        });
        expect(diffSshKey(olds, { token: "t2", name: "a", body: OPERATOR_KEY })).toEqual({
            changes: true,
            replaces: [],
        });
    });
});
