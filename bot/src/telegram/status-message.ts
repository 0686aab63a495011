import { GrammyError, type Api } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";
import type { Logger } from "pino";

interface Pending {
    text: string;
    markup?: InlineKeyboardMarkup;
}

/**
 * One message the bot keeps editing (a card or a progress line). Edits are serialised and
 * throttled: at most one per `minIntervalMs`, later texts replace earlier pending ones, identical
 * texts are skipped and "message is not modified" is not an error.
 */
export class StatusMessage {
    private lastEditAt = 0;
    private lastText = "";
    private pending?: Pending;
    private timer?: NodeJS.Timeout;
    private chain: Promise<void> = Promise.resolve();
    private closed = false;

    constructor(
        private readonly api: Api,
        readonly chatId: number,
        readonly messageId: number,
        private readonly log: Logger,
        private readonly minIntervalMs = 1000,
        initialText = "",
        /** When the message was last edited or sent; 0 lets the first edit go out at once. */
        lastEditAt = Date.now(),
    ) {
        this.lastText = initialText;
        this.lastEditAt = lastEditAt;
    }

    /** Queues a throttled edit. */
    set(text: string, markup?: InlineKeyboardMarkup): void {
        if (this.closed) return;
        this.pending = { text, markup };
        if (this.timer) return;
        const wait = Math.max(0, this.lastEditAt + this.minIntervalMs - Date.now());
        this.timer = setTimeout(() => {
            this.timer = undefined;
            this.chain = this.chain.then(() => this.flushPending());
        }, wait);
    }

    /** Replaces anything pending with this text, sent once the throttle interval allows. */
    async final(text: string, markup?: InlineKeyboardMarkup): Promise<void> {
        this.cancel();
        await this.chain;
        const wait = this.lastEditAt + this.minIntervalMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.pending = { text, markup };
        await this.flushPending();
    }

    /** Drops pending edits; later `set` calls are ignored. */
    close(): void {
        this.cancel();
        this.closed = true;
    }

    async delete(): Promise<void> {
        this.close();
        await this.chain;
        await this.api.deleteMessage(this.chatId, this.messageId).catch((error: unknown) => {
            this.log.debug({ err: describe(error) }, "status message not deleted");
        });
    }

    private cancel(): void {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        this.pending = undefined;
    }

    private async flushPending(): Promise<void> {
        const next = this.pending;
        this.pending = undefined;
        if (!next) return;
        if (next.text === this.lastText && next.markup === undefined) return;
        this.lastEditAt = Date.now();
        this.lastText = next.text;
        try {
            await this.api.editMessageText(this.chatId, this.messageId, next.text, {
                reply_markup: next.markup,
                link_preview_options: { is_disabled: false },
            });
        } catch (error) {
            if (!isNotModified(error)) {
                this.log.debug({ err: describe(error) }, "status edit failed");
            }
        }
    }
}

export function isNotModified(error: unknown): boolean {
    return error instanceof GrammyError && error.description.includes("message is not modified");
}

export function describe(error: unknown): string {
    if (error instanceof GrammyError) return `${error.method}: ${error.description}`;
    return error instanceof Error ? error.message : String(error);
}
