import { describe, expect, it } from "vitest";
import { photoBatches } from "../../../src/telegram/media-sender.js";

describe("photoBatches (10.2.12)", () => {
    it.each([
        [1, [1]],
        [3, [3]],
        [10, [10]],
        [11, [10, 1]],
        [20, [10, 10]],
        [25, [10, 10, 5]],
        [0, []],
    ])("%i photos -> %j", (count, batches) => {
        expect(photoBatches(count)).toEqual(batches);
    });
});
