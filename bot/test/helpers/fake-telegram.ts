import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";

export interface Upload {
    field: string;
    filename: string;
    data: Buffer;
    /** Set when the bot passed a local path (local Bot API mode) instead of bytes. */
    localPath?: string;
}

export interface ApiCall {
    method: string;
    payload: Record<string, unknown>;
    uploads: Upload[];
    at: number;
}

export interface TgUser {
    id: number;
    username?: string;
    first_name: string;
    last_name?: string;
}

interface StoredMessage {
    text?: string;
    markup?: unknown;
    deleted: boolean;
}

type Failure = { status: number; body: Record<string, unknown> };

export interface TgGroup {
    /** Negative, as Telegram's group and supergroup ids are. */
    id: number;
    title: string;
}

/** Methods that post a new message into a chat (what Telegram's per-chat flood limit counts). */
const SENDING_METHODS = new Set(["sendMessage", "sendPhoto", "sendMediaGroup", "sendVideo"]);

export const BOT_USER = {
    id: 999000111,
    is_bot: true,
    first_name: "MPCabinet Picture Bot",
    username: "fake_picture_bot",
};

/**
 * A loopback fake of the Telegram Bot API: answers the methods the bot uses, records every call
 * with its uploads (multipart bytes or, in local mode, the file read from the given path),
 * serves scripted updates to getUpdates (long polling held for `pollHoldMs`), and can fail the
 * next call of a method (e.g. 429 with retry_after).
 */
export class FakeTelegram {
    readonly calls: ApiCall[] = [];
    private server?: Server;
    private updates: unknown[] = [];
    private nextUpdateId = 1;
    private nextMessageId = 1000;
    private nextFileId = 1;
    private readonly messages = new Map<string, StoredMessage>();
    private readonly issuedFileIds = new Set<string>();
    private readonly failures = new Map<string, Failure[]>();
    private waiters: Array<() => void> = [];
    private readonly polls = new Set<ServerResponse>();
    private readonly groups = new Map<number, TgGroup>();
    private readonly lastSendAt = new Map<number, number>();
    /** Calls refused with 429 by the per-chat flood limit. */
    readonly floodRefusals: ApiCall[] = [];
    url = "";

    /**
     * `perChatIntervalMs` > 0 turns on Telegram's per-chat flood limit: a message sent into a chat
     * sooner than that after the previous one is refused with 429 and `parameters.retry_after`.
     * Bot API FAQ: "in a single chat, avoid sending more than one message per second ... eventually
     * you'll begin receiving 429 errors"; the 429 shape (error_code, description "Too Many
     * Requests: retry after N", ResponseParameters.retry_after = seconds left to wait) is from the
     * Bot API reference, "Making requests" and "ResponseParameters".
     */
    constructor(
        readonly token: string,
        private readonly pollHoldMs = 300,
        private readonly perChatIntervalMs = 0,
    ) {}

    async start(): Promise<void> {
        this.server = createServer((req, res) => void this.handle(req, res));
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        const address = this.server.address();
        this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    }

    async stop(): Promise<void> {
        for (const res of this.polls) res.end(JSON.stringify({ ok: true, result: [] }));
        this.server?.closeAllConnections();
        await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    }

    failNext(method: string, status: number, body: Record<string, unknown>): void {
        const list = this.failures.get(method) ?? [];
        list.push({ status, body: { ok: false, error_code: status, ...body } });
        this.failures.set(method, list);
    }

    // --- scripted updates -------------------------------------------------------------------

    sendText(user: TgUser, text: string): void {
        const entities = entitiesOf(text);
        this.pushMessage(user, { text, ...(entities.length ? { entities } : {}) });
    }

    sendSticker(user: TgUser): void {
        this.pushMessage(user, {
            sticker: {
                file_id: "sticker-1",
                file_unique_id: "s1",
                type: "regular",
                width: 512,
                height: 512,
                is_animated: false,
                is_video: false,
            },
        });
    }

    sendPhotoMessage(user: TgUser): void {
        this.pushMessage(user, {
            photo: [{ file_id: "user-photo", file_unique_id: "up", width: 90, height: 90 }],
        });
    }

    sendVoice(user: TgUser): void {
        this.pushMessage(user, {
            voice: { file_id: "voice-1", file_unique_id: "v1", duration: 2 },
        });
    }

    /** A text message in a group; `replyTo` = the id of the bot's message it answers. */
    sendGroupText(group: TgGroup, user: TgUser, text: string, replyTo?: number): void {
        this.groups.set(group.id, group);
        const chat = { id: group.id, type: "supergroup", title: group.title };
        const entities = entitiesOf(text);
        this.push({
            message: {
                message_id: this.nextMessageId++,
                date: now(),
                chat,
                from: { ...user, is_bot: false },
                text,
                ...(entities.length ? { entities } : {}),
                ...(replyTo === undefined
                    ? {}
                    : {
                          reply_to_message: {
                              message_id: replyTo,
                              date: now(),
                              chat,
                              from: BOT_USER,
                              text: this.messages.get(`${group.id}:${replyTo}`)?.text ?? "",
                          },
                      }),
            },
        });
    }

    /**
     * A press on a button of the bot's message `messageId` (in the user's chat or a group).
     * Returns the callback query's id (see `answerTo`).
     */
    pressButton(user: TgUser, data: string, messageId: number, group?: TgGroup): string {
        const chat = chatOf(user, group);
        return this.pushCallbackQuery(user, data, {
            message_id: messageId,
            date: now(),
            chat,
            from: BOT_USER,
            text: this.messages.get(`${chat.id}:${messageId}`)?.text ?? "",
        });
    }

    /**
     * A press on a button of a message the bot can no longer access. Bot API: CallbackQuery.message
     * is a MaybeInaccessibleMessage, and an InaccessibleMessage ("a message that was deleted or is
     * otherwise inaccessible to the bot") has only `chat`, `message_id` and `date`, which is
     * "Always 0. The field can be used to differentiate regular and inaccessible messages."
     */
    pressButtonOnInaccessibleMessage(
        user: TgUser,
        data: string,
        messageId: number,
        group?: TgGroup,
    ): string {
        return this.pushCallbackQuery(user, data, {
            chat: chatOf(user, group),
            message_id: messageId,
            date: 0,
        });
    }

    private pushCallbackQuery(
        user: TgUser,
        data: string,
        message: Record<string, unknown>,
    ): string {
        const id = `cb-${this.nextUpdateId}`;
        this.push({
            callback_query: {
                id,
                from: { ...user, is_bot: false },
                chat_instance: "ci",
                data,
                message,
            },
        });
        return id;
    }

    private pushMessage(user: TgUser, content: Record<string, unknown>): void {
        this.push({
            message: {
                message_id: this.nextMessageId++,
                date: now(),
                chat: { id: user.id, type: "private", first_name: user.first_name },
                from: { ...user, is_bot: false },
                ...content,
            },
        });
    }

    private push(update: Record<string, unknown>): void {
        this.updates.push({ update_id: this.nextUpdateId++, ...update });
        const waiters = this.waiters;
        this.waiters = [];
        waiters.forEach((w) => w());
    }

    // --- inspection --------------------------------------------------------------------------

    callsOf(method: string): ApiCall[] {
        return this.calls.filter((c) => c.method === method);
    }

    /** Calls addressed to a chat that the fake accepted (not refused by the flood limit). */
    deliveredTo(chatId: number, method?: string): ApiCall[] {
        return this.callsTo(chatId, method).filter((c) => !this.floodRefusals.includes(c));
    }

    /** Calls addressed to a chat, in order. */
    callsTo(chatId: number, method?: string): ApiCall[] {
        return this.calls.filter(
            (c) => Number(c.payload.chat_id) === chatId && (!method || c.method === method),
        );
    }

    /** The bot's answerCallbackQuery for the callback query `queryId`, if it answered. */
    answerTo(queryId: string): Record<string, unknown> | undefined {
        return this.callsOf("answerCallbackQuery").find(
            (c) => c.payload.callback_query_id === queryId,
        )?.payload;
    }

    textOf(chatId: number, messageId: number): string | undefined {
        return this.messages.get(`${chatId}:${messageId}`)?.text;
    }

    markupOf(chatId: number, messageId: number): unknown {
        return this.messages.get(`${chatId}:${messageId}`)?.markup;
    }

    isDeleted(chatId: number, messageId: number): boolean {
        return this.messages.get(`${chatId}:${messageId}`)?.deleted ?? false;
    }

    /** Texts of messages (sent or edited) that are still visible in the chat, oldest first. */
    visibleTexts(chatId: number): string[] {
        return [...this.messages.entries()]
            .filter(([key, m]) => key.startsWith(`${chatId}:`) && !m.deleted && m.text)
            .map(([, m]) => m.text!);
    }

    async waitFor(predicate: () => boolean, timeoutMs = 15_000, what = "condition"): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (!predicate()) {
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
            await new Promise((resolve) => setTimeout(resolve, 25));
        }
    }

    // --- HTTP ----------------------------------------------------------------------------------

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? "");
        const body = await readBody(req);
        if (!match || match[1] !== this.token) {
            return reply(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
        }
        const method = match[2]!;
        const { payload, uploads } = parsePayload(req, body);
        const call: ApiCall = { method, payload, uploads, at: Date.now() };
        if (method !== "getUpdates") this.calls.push(call);
        const failure = this.failures.get(method)?.shift() ?? this.floodLimit(method, payload);
        if (failure) return reply(res, failure.status, failure.body);
        if (method === "getUpdates") return this.getUpdates(payload, res);
        try {
            const result = this.answer(method, payload, uploads);
            reply(res, 200, { ok: true, result });
        } catch (error) {
            reply(res, 400, { ok: false, error_code: 400, description: (error as Error).message });
        }
    }

    private floodLimit(method: string, payload: Record<string, unknown>): Failure | undefined {
        if (this.perChatIntervalMs <= 0 || !SENDING_METHODS.has(method)) return undefined;
        const chatId = Number(payload.chat_id);
        const at = Date.now();
        const wait = (this.lastSendAt.get(chatId) ?? -Infinity) + this.perChatIntervalMs - at;
        if (wait <= 0) {
            this.lastSendAt.set(chatId, at);
            return undefined;
        }
        this.floodRefusals.push(this.calls.at(-1)!);
        const retryAfter = Math.ceil(wait / 1000);
        return {
            status: 429,
            body: {
                ok: false,
                error_code: 429,
                description: `Too Many Requests: retry after ${retryAfter}`,
                parameters: { retry_after: retryAfter },
            },
        };
    }

    /** Number of getUpdates requests served. */
    pollCount = 0;

    private getUpdates(payload: Record<string, unknown>, res: ServerResponse): void {
        this.pollCount += 1;
        const offset = Number(payload.offset ?? 0);
        const pending = () =>
            this.updates.filter((u) => (u as { update_id: number }).update_id >= offset);
        this.updates = pending();
        if (this.updates.length > 0) return reply(res, 200, { ok: true, result: this.updates });
        this.polls.add(res);
        const finish = () => {
            if (!this.polls.delete(res)) return;
            clearTimeout(timer);
            reply(res, 200, { ok: true, result: pending() });
        };
        const timer = setTimeout(finish, this.pollHoldMs);
        this.waiters.push(finish);
        res.on("close", () => {
            this.polls.delete(res);
            clearTimeout(timer);
        });
    }

    private answer(method: string, p: Record<string, unknown>, uploads: Upload[]): unknown {
        const chatId = Number(p.chat_id);
        switch (method) {
            case "getMe":
                return BOT_USER;
            case "deleteWebhook":
            case "logOut":
            case "answerCallbackQuery":
                return true;
            case "sendMessage":
                return this.newMessage(chatId, { text: String(p.text), markup: p.reply_markup });
            case "editMessageText": {
                const m = this.existing(chatId, Number(p.message_id));
                if (
                    m.text === p.text &&
                    JSON.stringify(m.markup) === JSON.stringify(p.reply_markup)
                ) {
                    throw new Error("Bad Request: message is not modified");
                }
                m.text = String(p.text);
                m.markup = p.reply_markup;
                return this.messageObject(chatId, Number(p.message_id), { text: m.text });
            }
            case "editMessageReplyMarkup": {
                const m = this.existing(chatId, Number(p.message_id));
                m.markup = p.reply_markup;
                return this.messageObject(chatId, Number(p.message_id), { text: m.text });
            }
            case "deleteMessage":
                this.existing(chatId, Number(p.message_id)).deleted = true;
                return true;
            case "sendPhoto":
                return this.newMessage(chatId, {}, { photo: this.photoSizes(p.photo, uploads) });
            case "sendMediaGroup": {
                const media = p.media as Array<{ type: string; media: string }>;
                if (!Array.isArray(media) || media.length < 2 || media.length > 10) {
                    throw new Error("Bad Request: wrong number of media in the album (2-10)");
                }
                return media.map((item) =>
                    this.newMessage(chatId, {}, { photo: this.photoSizes(item.media, uploads) }),
                );
            }
            case "sendVideo": {
                const fileId = this.fileFor(p.video, uploads, "video");
                return this.newMessage(
                    chatId,
                    {},
                    {
                        caption: p.caption,
                        video: {
                            file_id: fileId,
                            file_unique_id: `u-${fileId}`,
                            width: 160,
                            height: 120,
                            duration: 4,
                        },
                    },
                );
            }
            default:
                throw new Error(`Bad Request: method ${method} is not faked`);
        }
    }

    private photoSizes(ref: unknown, uploads: Upload[]): unknown[] {
        const fileId = this.fileFor(ref, uploads, "photo");
        return [
            { file_id: `${fileId}-small`, file_unique_id: `us-${fileId}`, width: 90, height: 90 },
            { file_id: fileId, file_unique_id: `u-${fileId}`, width: 900, height: 1200 },
        ];
    }

    /** Resolves attach://, file:// (local mode) or a file_id; unknown file_ids are rejected. */
    private fileFor(ref: unknown, uploads: Upload[], kind: string): string {
        const value = String(ref);
        if (value.startsWith("attach://")) {
            const field = value.slice("attach://".length);
            if (!uploads.some((u) => u.field === field)) throw new Error("Bad Request: no file");
            return this.issue(kind);
        }
        if (value.startsWith("file://")) {
            const path = fileURLToPath(value);
            uploads.push({
                field: kind,
                filename: path,
                data: readFileSync(path),
                localPath: path,
            });
            return this.issue(kind);
        }
        if (uploads.some((u) => u.field === kind)) return this.issue(kind);
        if (this.issuedFileIds.has(value)) return value;
        throw new Error("Bad Request: wrong file identifier/HTTP URL specified");
    }

    private issue(kind: string): string {
        const id = `${kind}-file-${this.nextFileId++}`;
        this.issuedFileIds.add(id);
        return id;
    }

    private existing(chatId: number, messageId: number): StoredMessage {
        const m = this.messages.get(`${chatId}:${messageId}`);
        if (!m || m.deleted) throw new Error("Bad Request: message to edit not found");
        return m;
    }

    private newMessage(
        chatId: number,
        stored: { text?: string; markup?: unknown },
        extra: Record<string, unknown> = {},
    ): unknown {
        const id = this.nextMessageId++;
        this.messages.set(`${chatId}:${id}`, { ...stored, deleted: false });
        return this.messageObject(chatId, id, {
            ...(stored.text ? { text: stored.text } : {}),
            ...extra,
        });
    }

    private messageObject(chatId: number, id: number, extra: Record<string, unknown>): unknown {
        return {
            message_id: id,
            date: now(),
            chat: this.groups.has(chatId)
                ? { id: chatId, type: "supergroup", title: this.groups.get(chatId)!.title }
                : { id: chatId, type: chatId < 0 ? "channel" : "private" },
            from: BOT_USER,
            ...extra,
        };
    }
}

/** Entities Telegram would attach: a leading /command and every @username mention. */
function entitiesOf(text: string): Array<{ type: string; offset: number; length: number }> {
    const entities: Array<{ type: string; offset: number; length: number }> = [];
    const command = /^\/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?/.exec(text);
    if (command) entities.push({ type: "bot_command", offset: 0, length: command[0].length });
    for (const m of text.matchAll(/(?<![A-Za-z0-9_])@[A-Za-z0-9_]{5,32}/g)) {
        entities.push({ type: "mention", offset: m.index, length: m[0].length });
    }
    return entities;
}

function chatOf(user: TgUser, group?: TgGroup) {
    return group
        ? { id: group.id, type: "supergroup", title: group.title }
        : { id: user.id, type: "private", first_name: user.first_name };
}

function now(): number {
    return Math.floor(Date.now() / 1000);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded) return;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
}

/** A small multipart/form-data parser (grammY writes unquoted filenames, which undici rejects). */
function parseMultipart(
    body: Buffer,
    boundary: string,
): { payload: Record<string, unknown>; uploads: Upload[] } {
    const payload: Record<string, unknown> = {};
    const uploads: Upload[] = [];
    const delimiter = Buffer.from(`--${boundary}`);
    let index = body.indexOf(delimiter);
    while (index >= 0) {
        const start = index + delimiter.length;
        if (body.subarray(start, start + 2).toString() === "--") break;
        const next = body.indexOf(delimiter, start);
        if (next < 0) break;
        const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
        const split = part.indexOf("\r\n\r\n");
        const headers = part.subarray(0, split).toString("utf8");
        const content = part.subarray(split + 4);
        const name = /name="([^"]*)"/.exec(headers)?.[1] ?? "";
        const filename = /filename="?([^";\r\n]*)"?/.exec(headers)?.[1];
        if (filename !== undefined)
            uploads.push({ field: name, filename, data: Buffer.from(content) });
        else payload[name] = parseField(content.toString("utf8"));
        index = next;
    }
    return { payload, uploads };
}

function parsePayload(
    req: IncomingMessage,
    body: Buffer,
): { payload: Record<string, unknown>; uploads: Upload[] } {
    const type = req.headers["content-type"] ?? "";
    if (type.startsWith("multipart/form-data")) {
        const boundary = /boundary=([^;]+)/.exec(type)?.[1];
        if (!boundary) throw new Error("multipart without boundary");
        return parseMultipart(body, boundary);
    }
    const text = body.toString("utf8");
    return { payload: text ? (JSON.parse(text) as Record<string, unknown>) : {}, uploads: [] };
}

function parseField(value: string): unknown {
    if (/^[[{]/.test(value)) {
        try {
            return JSON.parse(value);
        } catch {
            return value;
        }
    }
    return value;
}
