import type { InlineKeyboardMarkup } from "grammy/types";

export type MediaKind = "photo" | "video" | "both";
export type KeyboardState = "searching" | "found" | "not_found";

/**
 * One kind of button: its typed data, packed into callback data and matched by `pattern`. A
 * feature handles its own kind (`composer.callbackQuery(kind.pattern, ...)`); a button no kind
 * matches reaches the last feature, the stale-button answer (features/unhandled.ts).
 */
export interface ButtonKind<T> {
    readonly pattern: RegExp;
    pack(data: T): string;
    /** The data of a matching callback, or null for anything else (forged or stale). */
    unpack(data: string): T | null;
}

export interface DownloadButton {
    readonly nm: string;
    readonly kind: MediaKind;
}

/** `download:{nm}:{photo|video|both}`: the card's buttons. */
export const downloadButton: ButtonKind<DownloadButton> = {
    pattern: /^download:([1-9][0-9]{5,9}):(photo|video|both)$/,
    pack: ({ nm, kind }) => `download:${nm}:${kind}`,
    unpack(data) {
        const match = downloadButton.pattern.exec(data);
        if (!match) return null;
        return { nm: match[1]!, kind: match[2] as MediaKind };
    },
};

/** The card's buttons: photos always, video and "everything" only once a video was found. */
export function mediaKeyboard(nm: string, state: KeyboardState): InlineKeyboardMarkup {
    const button = (text: string, kind: MediaKind) => [
        { text, callback_data: downloadButton.pack({ nm, kind }) },
    ];
    const rows = [button("📷 Скачать фото", "photo")];
    if (state === "found") {
        rows.push(button("🎬 Скачать видео", "video"));
        rows.push(button("📦 Скачать всё", "both"));
    }
    return { inline_keyboard: rows };
}
