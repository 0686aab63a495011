import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOT_USER } from "../helpers/fake-telegram.js";
import {
    cardMessageId,
    newGroup,
    newUser,
    startHarness,
    waitForText,
    type Harness,
} from "../helpers/harness.js";
import { standardProduct } from "../helpers/products.js";

// Group chats (issue 14): commands, WB links and messages addressed to the bot get answers;
// other chatter gets none.
describe("group chats", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness({ database: false });
    });
    afterAll(async () => {
        await h?.stop();
    });

    const sentTo = (chatId: number) => h.tg.callsTo(chatId, "sendMessage");
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it("answers its commands, also with @botname, and ignores other bots' commands", async () => {
        const group = newGroup();
        const user = newUser();
        h.tg.sendGroupText(group, user, "/help@some_other_bot");
        h.tg.sendGroupText(group, user, "/ban");
        h.tg.sendGroupText(group, user, `/help@${BOT_USER.username}`);
        await waitForText(h.tg, group.id, ["Как пользоваться"]);
        h.tg.sendGroupText(group, user, "/start");
        await h.tg.waitFor(() => sentTo(group.id).length >= 3);
        await sleep(300);
        expect(sentTo(group.id)).toHaveLength(3);
    });

    it("stays silent on chatter, bare numbers and other links not addressed to it", async () => {
        const group = newGroup();
        const user = newUser();
        const p = standardProduct({ photos: 1 });
        h.cdn.add(p);
        h.tg.sendGroupText(group, user, "всем привет, как продажи?");
        h.tg.sendGroupText(group, user, `мой артикул ${p.nm}, гляньте`);
        h.tg.sendGroupText(group, user, "https://example.com/catalog/12345678/detail.aspx");
        h.tg.sendGroupText(group, user, "@someone_else посмотри");
        h.tg.sendGroupText(group, user, `/help@${BOT_USER.username}`);
        await waitForText(h.tg, group.id, ["Как пользоваться"]);
        await sleep(300);
        expect(sentTo(group.id)).toHaveLength(1);
        expect(h.cdn.requestsFor(p.nm)).toEqual([]);
    });

    it("answers a Wildberries product link with the card, as a reply to it", async () => {
        const group = newGroup();
        const user = newUser();
        const p = standardProduct({ photos: 2 });
        h.cdn.add(p);
        h.tg.sendGroupText(
            group,
            user,
            `вот https://www.wildberries.ru/catalog/${p.nm}/detail.aspx`,
        );
        const card = await waitForText(h.tg, group.id, ["Видео: есть"]);
        expect(card).toContain(`Товар: ${p.nm}`);
        const status = sentTo(group.id)[0]!;
        expect(status.payload.reply_parameters).toMatchObject({
            allow_sending_without_reply: true,
        });
    });

    it("answers an article addressed to it by @mention or by a reply, and its buttons work", async () => {
        const group = newGroup();
        const user = newUser();
        const a = standardProduct({ photos: 2, video: false });
        const b = standardProduct({ photos: 3, video: false });
        h.cdn.add(a);
        h.cdn.add(b);
        h.tg.sendGroupText(group, user, `@${BOT_USER.username} ${a.nm}`);
        await waitForText(h.tg, group.id, [`Товар: ${a.nm}`, "Видео: нет"]);
        const cardId = cardMessageId(h.tg, group.id);
        h.tg.sendGroupText(group, user, String(b.nm), cardId);
        await waitForText(h.tg, group.id, [`Товар: ${b.nm}`, "Видео: нет"]);

        const other = newUser("Коллега");
        h.tg.pressButton(other, `download:${a.nm}:photo`, cardId, group);
        await h.tg.waitFor(() => h.tg.callsTo(group.id, "sendMediaGroup").length === 1);
        expect(h.tg.callsTo(group.id, "sendMediaGroup")[0]!.uploads).toHaveLength(2);
    });

    it("gives the format hint to a message addressed to it without an article", async () => {
        const group = newGroup();
        const user = newUser();
        h.tg.sendGroupText(group, user, `@${BOT_USER.username} что ты умеешь?`);
        await waitForText(h.tg, group.id, ["Неверный формат"]);
    });
});
