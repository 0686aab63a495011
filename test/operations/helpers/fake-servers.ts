import { createHash, createHmac } from "node:crypto";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";

async function listen(server: Server, host: string, port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve());
    });
    return `http://${host}:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
    return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
    });
}

function readBody(request: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => resolve(Buffer.concat(chunks)));
        request.on("error", reject);
    });
}

export interface SentMessage {
    readonly token: string;
    readonly chatId: string;
    readonly text: string;
}

/** A loopback Bot API that records sendMessage calls and answers like Telegram. */
export class FakeBotApi {
    readonly messages: SentMessage[] = [];
    /** When set, sendMessage answers with this HTTP status and records nothing. */
    failWith: number | undefined;
    private readonly server = createServer(
        (request, response) => void this.serve(request, response),
    );

    private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
        const body = (await readBody(request)).toString();
        const match = /^\/bot([^/]+)\/sendMessage$/.exec(request.url ?? "");
        if (request.method !== "POST" || match === null) {
            response.writeHead(404).end(JSON.stringify({ ok: false, description: "Not Found" }));
            return;
        }
        if (this.failWith !== undefined) {
            const answer = { ok: false, error_code: this.failWith };
            response.writeHead(this.failWith).end(JSON.stringify(answer));
            return;
        }
        const form = new URLSearchParams(body);
        this.messages.push({
            token: match[1]!,
            chatId: form.get("chat_id") ?? "",
            text: form.get("text") ?? "",
        });
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ ok: true, result: { message_id: this.messages.length } }));
    }

    start(host = "127.0.0.1", port = 0): Promise<string> {
        return listen(this.server, host, port);
    }

    stop(): Promise<void> {
        return close(this.server);
    }
}

export interface StoredObject {
    readonly key: string;
    readonly body: Buffer;
    readonly signatureValid: boolean;
    readonly accessKeyId: string;
    readonly region: string;
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) =>
    createHmac("sha256", key).update(data).digest();
const AUTHORIZATION = new RegExp(
    "^AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/s3/aws4_request, " +
        "SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$",
);

/**
 * A loopback S3 endpoint that accepts PUT and checks the AWS SigV4 signature itself (our own
 * implementation of the algorithm), including that x-amz-content-sha256 matches the body.
 */
export class FakeS3 {
    readonly objects: StoredObject[] = [];
    failWith: number | undefined;
    private readonly server = createServer(
        (request, response) => void this.serve(request, response),
    );

    private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
        const body = await readBody(request);
        if (this.failWith !== undefined) {
            response.writeHead(this.failWith).end("<Error><Code>AccessDenied</Code></Error>");
            return;
        }
        const stored = this.verify(request, body);
        this.objects.push(stored);
        response.writeHead(stored.signatureValid ? 200 : 403).end();
    }

    constructor(private readonly secretAccessKey: string) {}

    start(): Promise<string> {
        return listen(this.server, "127.0.0.1");
    }

    stop(): Promise<void> {
        return close(this.server);
    }

    private verify(request: IncomingMessage, body: Buffer): StoredObject {
        const auth = String(request.headers.authorization ?? "");
        const match = AUTHORIZATION.exec(auth);
        const [pathPart = "", query = ""] = (request.url ?? "").split("?");
        const key = decodeURIComponent(pathPart);
        if (request.method !== "PUT" || match === null) {
            return { key, body, signatureValid: false, accessKeyId: "", region: "" };
        }
        const [, accessKeyId, day, region, signedHeaders, signature] = match as unknown as string[];
        const payloadHash = String(request.headers["x-amz-content-sha256"] ?? "");
        const headers = signedHeaders!
            .split(";")
            .map((name) => `${name}:${String(request.headers[name] ?? "").trim()}\n`)
            .join("");
        const canonical = [request.method, pathPart, query, headers, signedHeaders, payloadHash];
        const scope = `${day}/${region}/s3/aws4_request`;
        const amzDate = String(request.headers["x-amz-date"]);
        const hashed = sha256(canonical.join("\n"));
        const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, hashed].join("\n");
        const dayKey = hmac(`AWS4${this.secretAccessKey}`, day!);
        const signingKey = hmac(hmac(hmac(dayKey, region!), "s3"), "aws4_request");
        const expected = createHmac("sha256", signingKey).update(toSign).digest("hex");
        const signatureValid =
            expected === signature &&
            payloadHash === sha256(body) &&
            signedHeaders!.split(";").includes("x-amz-content-sha256");
        return { key, body, signatureValid, accessKeyId: accessKeyId!, region: region! };
    }
}

export interface Ping {
    readonly method: string;
    readonly path: string;
}

/**
 * A loopback ping receiver in the style of healthchecks.io: any GET, HEAD or POST to the check's
 * URL counts as a ping and is answered 200 "OK" (healthchecks.io docs, "Pinging API"). `answer`
 * lets a test make it fail (an HTTP status) or hang (never answer).
 */
export class FakeHeartbeat {
    readonly pings: Ping[] = [];
    answer: number | "hang" = 200;
    private readonly server = createServer((request, response) => {
        if (this.answer === "hang") return; // the connection stays open until stop()
        this.pings.push({ method: request.method ?? "", path: request.url ?? "" });
        response.writeHead(this.answer, { "content-type": "text/plain" });
        response.end(this.answer === 200 ? "OK" : "error");
    });

    start(host = "127.0.0.1"): Promise<string> {
        return listen(this.server, host);
    }

    stop(): Promise<void> {
        return close(this.server);
    }
}
