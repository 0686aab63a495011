import { describe, expect, it } from "vitest";
import { hostAllowed, parseAllowList } from "../../../../src/services/wb/host-allow-list.js";

const prod = parseAllowList(".wbbasket.ru, .wbcontent.net");

describe("CDN host allow-list (10.1.4)", () => {
    it.each([
        ["https://basket-01.wbbasket.ru/vol1/part1/1/images/big/1.webp", true],
        ["https://videonme-basket-12.wbbasket.ru/vol3/x.m3u8", true],
        ["https://basket-05.wbcontent.net/x", true],
        ["https://wbbasket.ru/x", false],
        ["https://evilwbbasket.ru/x", false],
        ["https://basket-01.wbbasket.ru.evil.com/x", false],
        ["http://basket-01.wbbasket.ru/x", false],
        ["https://user:pw@basket-01.wbbasket.ru/x", false],
        ["file:///etc/passwd", false],
        ["http://127.0.0.1:8080/x", false],
    ])("%s -> %s", (url, expected) => {
        expect(hostAllowed(new URL(url), prod)).toBe(expected);
    });

    it("allows plain http only for loopback hosts listed explicitly (the tests' fake CDN)", () => {
        const test = parseAllowList("127.0.0.1");
        expect(hostAllowed(new URL("http://127.0.0.1:8080/basket-01/x"), test)).toBe(true);
        expect(hostAllowed(new URL("http://10.0.0.1/x"), parseAllowList("10.0.0.1"))).toBe(false);
    });
});
