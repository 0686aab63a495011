import type { InlineKeyboardMarkup } from "grammy/types";
import { callbackData } from "./callback-data.js";

export const MEDIA_KINDS = ["photo", "video", "both"] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];
export type KeyboardState = "searching" | "found" | "not_found";

/** `download:{nm}:{photo|video|both}` (bot-spec 1.7); nm without leading zeros, 6..10 digits. */
export const downloadData = callbackData("download", {
    nm: /[1-9][0-9]{5,9}/,
    kind: MEDIA_KINDS,
});

/** The card's buttons: photos always, video and "everything" only once a video was found. */
export function mediaKeyboard(nm: string, state: KeyboardState): InlineKeyboardMarkup {
    const button = (text: string, kind: MediaKind) => ({
        text,
        callback_data: downloadData.pack({ nm, kind }),
    });
    const rows = [[button("📷 Скачать фото", "photo")]];
    if (state === "found") {
        rows.push([button("🎬 Скачать видео", "video")]);
        rows.push([button("📦 Скачать всё", "both")]);
    }
    return { inline_keyboard: rows };
}
