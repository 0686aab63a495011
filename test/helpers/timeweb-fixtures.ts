import type { ProviderOptions } from "../../components/timeweb/provider-options";
import type { FakeTimewebApi } from "./fake-timeweb-api";

/**
 * Provider options against the fake: real HTTP, but waits are recorded instead of slept and move
 * a virtual clock, so a deadline passes after the waits it allows, in no real time.
 */
export function fakeOptions(fake: FakeTimewebApi, waits: number[] = []): ProviderOptions {
    let clock = 0;
    return {
        endpoint: fake.url,
        retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
        requestTimeoutMs: 5_000,
        pollIntervalMs: 5_000,
        createTimeoutMs: 60_000,
        sleep: (ms) => {
            waits.push(ms);
            clock += ms;
            return Promise.resolve();
        },
        random: () => 0,
        now: () => clock,
    };
}

export async function rejection(
    promise: Promise<unknown>,
): Promise<Error & Record<string, unknown>> {
    try {
        await promise;
    } catch (error) {
        return error as Error & Record<string, unknown>;
    }
    throw new Error("expected a rejection");
}

export const OPERATOR_KEY =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKeyForTestsOnly00000000000000000 op@laptop";
export const OTHER_KEY =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnotherKeyForTestsOnly000000000000000000 op@laptop";
