import type { InlineKeyboardMarkup } from "grammy/types";

export type MediaKind = "photo" | "video" | "both";
export type KeyboardState = "searching" | "found" | "not_found";

/** The card's buttons: photos always, video and "everything" only once a video was found. */
export function mediaKeyboard(nm: string, state: KeyboardState): InlineKeyboardMarkup {
    const rows = [[{ text: "📷 Скачать фото", callback_data: callbackData(nm, "photo") }]];
    if (state === "found") {
        rows.push([{ text: "🎬 Скачать видео", callback_data: callbackData(nm, "video") }]);
        rows.push([{ text: "📦 Скачать всё", callback_data: callbackData(nm, "both") }]);
    }
    return { inline_keyboard: rows };
}

export function callbackData(nm: string, kind: MediaKind): string {
    return `download:${nm}:${kind}`;
}

/** Parses `download:{nm}:{type}` strictly; anything else (forged or stale) is null. */
export function parseCallbackData(data: string): { nm: string; kind: MediaKind } | null {
    const match = /^download:([1-9][0-9]{5,9}):(photo|video|both)$/.exec(data);
    if (!match) return null;
    return { nm: match[1]!, kind: match[2] as MediaKind };
}
