/**
 * The running video search of each product card, keyed by chat and message. A button press on a
 * card stops that card's search before the download flow edits the message (bot-spec 10.2.6).
 */
export class CardSearches {
    private readonly running = new Map<string, { abort: () => void; done: Promise<void> }>();

    add(chatId: number, messageId: number, abort: () => void, done: Promise<void>): void {
        const key = `${chatId}:${messageId}`;
        this.running.set(key, { abort, done });
        void done.finally(() => {
            if (this.running.get(key)?.done === done) this.running.delete(key);
        });
    }

    async stop(chatId: number, messageId: number): Promise<void> {
        const entry = this.running.get(`${chatId}:${messageId}`);
        if (!entry) return;
        entry.abort();
        await entry.done;
    }
}
