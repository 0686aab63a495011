import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { FakeCdn } from "./fake-cdn.js";
import { FakeTelegram } from "./fake-telegram.js";
import { makeHlsFixture } from "./global-setup.js";
import { TOKEN } from "./harness.js";
import { standardProduct } from "./products.js";

// Manual playground: `npx tsx test/helpers/dev-fakes.ts` starts the fake Bot API and fake CDN
// (with one product that has 12 photos and a video), prints the environment for the bot, and
// turns each typed line into a user message ("press photo|video|both" presses a card button).
const hlsDir = mkdtempSync(join(tmpdir(), "dev-hls-"));
makeHlsFixture(hlsDir);
process.once("SIGINT", () => {
    rmSync(hlsDir, { recursive: true, force: true });
    process.exit(0);
});
const tg = new FakeTelegram(TOKEN, 25_000);
const cdn = new FakeCdn(hlsDir);
await tg.start();
await cdn.start();
const product = standardProduct({ photos: 12, card: { imt_name: "Тестовый товар" } });
cdn.add(product);
const user = { id: 4242, first_name: "Dev", username: "dev" };

console.log(`# run the bot in another shell with:
export BOT_TOKEN=${TOKEN} TELEGRAM_API_BASE_URL=${tg.url} WB_CDN_ALLOWED_HOSTS=127.0.0.1 \\
  WB_PHOTO_HOST_TEMPLATE=${cdn.photoTemplate} WB_VIDEO_HOST_TEMPLATE=${cdn.videoTemplate}
npx tsx src/main.ts
# then type /start, ${product.nm}, "press video" ... here`);

let seen = 0;
setInterval(() => {
    for (const call of tg.calls.slice(seen)) {
        const text = call.payload.text ?? call.payload.caption;
        console.log(`<- ${call.method} ${typeof text === "string" ? text.slice(0, 200) : ""}`);
    }
    seen = tg.calls.length;
}, 200);

createInterface({ input: process.stdin }).on("line", (line) => {
    const press = /^press (photo|video|both)$/.exec(line.trim());
    if (!press) return tg.sendText(user, line);
    const cards = tg.callsTo(user.id, "editMessageText").filter((c) => c.payload.reply_markup);
    const card = cards.at(-1);
    if (card)
        tg.pressButton(user, `download:${product.nm}:${press[1]}`, Number(card.payload.message_id));
});
