import { describe, expect, it } from "vitest";
import { isArticle, parseArticle } from "../../src/article.js";

// Spec 1.4 and cases 1-7, plus the fixes of 10.2.3 (no trailing slash, other WB domains,
// "text + number", seller/brand URLs, leading zeros) and non-ASCII digits.
const cases: Array<[string, string | null]> = [
    ["123456", "123456"],
    ["12345678", "12345678"],
    ["1234567890", "1234567890"],
    ["  12345678  ", "12345678"],
    ["\n12345678\t", "12345678"],
    ["12345", null],
    ["12345678901", null],
    ["abc12345", null],
    ["12345678abc", null],
    ["", null],
    ["   ", null],
    ["0123456", "123456"],
    ["0012345", null],
    ["١٢٣٤٥٦٧٨", null],
    ["арт 12345678", "12345678"],
    ["Артикул: 87654321", "87654321"],
    ["артикул 12345678, цена 1500", null],
    ["https://www.wildberries.ru/catalog/12345678/detail.aspx", "12345678"],
    ["https://www.wildberries.ru/catalog/12345678/detail.aspx?size=123&targetUrl=GP", "12345678"],
    ["https://www.wildberries.ru/catalog/12345678", "12345678"],
    ["https://www.wildberries.ru/catalog/12345678/", "12345678"],
    ["www.wildberries.ru/catalog/12345678/detail.aspx", "12345678"],
    ["wildberries.ru/catalog/12345678", "12345678"],
    ["https://wb.ru/catalog/87654321/detail.aspx", "87654321"],
    ["https://wb.ru/catalog/87654321", "87654321"],
    ["https://global.wildberries.ru/catalog/12345678/detail.aspx", "12345678"],
    ["https://m.wildberries.ru/catalog/12345678/detail.aspx", "12345678"],
    ["https://www.wildberries.kz/catalog/12345678/detail.aspx", "12345678"],
    ["https://www.wildberries.by/catalog/12345678", "12345678"],
    ["https://wildberries.am/catalog/12345678/detail.aspx", "12345678"],
    ["https://www.wildberries.uz/catalog/12345678/detail.aspx", "12345678"],
    ["https://www.wildberries.ru/product?card=12345678&option=555", "12345678"],
    ["https://wildberries.ru/product/test/365180/feedback", "365180"],
    ["Смотри какой товар https://www.wildberries.ru/catalog/12345678/detail.aspx !", "12345678"],
    ["HTTPS://WWW.WILDBERRIES.RU/CATALOG/12345678/DETAIL.ASPX", "12345678"],
    ["https://www.wildberries.ru/seller/1234567", null],
    ["https://www.wildberries.ru/seller/1234567/", null],
    ["https://www.wildberries.ru/brands/nike", null],
    ["https://www.wildberries.ru/brands/123456789", null],
    ["https://example.com/test", null],
    ["https://example.com/catalog/12345678/detail.aspx", null],
    ["https://ozon.ru/product/12345678/", null],
    ["mywildberries.ru/catalog/12345678", null],
    ["https://wildberries.ru.evil.com/catalog/12345678", null],
    ["https://www.wildberries.ru/catalog/0/search.aspx?search=12345678", null],
    ["https://www.wildberries.ru/", null],
    ["/start 12345678", "12345678"],
];

describe("parseArticle", () => {
    it("covers at least 40 inputs", () => {
        expect(cases.length).toBeGreaterThanOrEqual(40);
    });

    it.each(cases)("%j -> %j", (input, expected) => {
        expect(parseArticle(input)).toBe(expected);
    });

    it("isArticle: 6 and 10 digits true; 5, 11, letters, empty false (case 7)", () => {
        expect(isArticle("123456")).toBe(true);
        expect(isArticle("1234567890")).toBe(true);
        for (const bad of ["12345", "12345678901", "abcdefgh", ""])
            expect(isArticle(bad)).toBe(false);
    });
});
