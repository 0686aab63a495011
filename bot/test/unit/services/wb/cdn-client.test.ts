import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CdnError, HostNotAllowedError } from "../../../../src/errors.js";
import { CdnSession } from "../../../../src/services/wb/cdn-client.js";
import { FakeCdn } from "../../../helpers/fake-cdn.js";

describe("CdnSession (10.1.4, 10.1.7)", () => {
    const cdn = new FakeCdn(inject("hlsDir"));
    beforeAll(() => cdn.start());
    afterAll(() => cdn.stop());
    const limits = {
        allowedHosts: ["127.0.0.1"],
        timeoutMs: 500,
        maxRequestsPerArticle: 30,
        maxInFlight: 4,
    };

    it("refuses hosts outside the allow-list without sending anything", async () => {
        const session = new CdnSession(limits);
        await expect(session.head("https://evil.example/x")).rejects.toBeInstanceOf(
            HostNotAllowedError,
        );
        await expect(session.head("http://localhost:1/x")).rejects.toBeInstanceOf(
            HostNotAllowedError,
        );
        expect(session.requestsUsed).toBe(0);
    });

    it("keeps at most maxInFlight requests open and stops at the budget", async () => {
        cdn.delayMs = 50;
        cdn.peakInFlight = 0;
        const session = new CdnSession(limits);
        const urls = Array.from({ length: 40 }, (_, i) => `${cdn.url}/basket-01/x${i}`);
        const results = await Promise.allSettled(urls.map((u) => session.head(u)));
        cdn.delayMs = 0;
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(30);
        const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
        expect(rejected).toHaveLength(10);
        expect(rejected[0]!.reason).toBeInstanceOf(CdnError);
        expect(cdn.peakInFlight).toBe(4);
    });

    it("turns a hanging server into status 0 after the timeout", async () => {
        cdn.fault(/hang-here/, { hang: true });
        const session = new CdnSession(limits);
        const started = Date.now();
        expect((await session.head(`${cdn.url}/hang-here`)).status).toBe(0);
        expect(Date.now() - started).toBeLessThan(2000);
    });
});
