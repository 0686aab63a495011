// Test VPS only: a fake Telegram Local Bot API server. It answers the calls a long-polling bot
// makes when it starts and idles (getMe, getUpdates with no updates, deleteWebhook, logOut,
// close, getWebhookInfo), refuses everything else like the real server (404), and records every
// call (method and bot id, never the token) in memory and in <work dir>/calls.jsonl.
"use strict";
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");

const port = Number(process.env.TELEGRAM_HTTP_PORT || 8081);
const workDir = "/var/lib/telegram-bot-api";
const maxPollSeconds = 50;
const calls = [];

for (const name of ["TELEGRAM_API_ID", "TELEGRAM_API_HASH"]) {
    if (!process.env[name]) {
        console.error(`${name} is not set: the Local Bot API server needs api_id and api_hash`);
        process.exit(1);
    }
}

function botUser(botId) {
    return {
        id: botId,
        is_bot: true,
        first_name: "E2E Fake Bot",
        username: `e2e_fake_${botId}_bot`,
        can_join_groups: false,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
    };
}

const methods = {
    getme: (botId) => botUser(botId),
    deletewebhook: () => true,
    logout: () => true,
    close: () => true,
    getwebhookinfo: () => ({ url: "", has_custom_certificate: false, pending_update_count: 0 }),
    getupdates: (_botId, params) =>
        new Promise((resolve) => {
            const seconds = Math.min(Math.max(Number(params.timeout || 0), 0), maxPollSeconds);
            setTimeout(() => resolve([]), seconds * 1000);
        }),
};

function record(entry) {
    calls.push(entry);
    fs.appendFile(path.join(workDir, "calls.jsonl"), `${JSON.stringify(entry)}\n`, () => undefined);
}

function readParams(req, url) {
    const params = Object.fromEntries(url.searchParams);
    return new Promise((resolve) => {
        const chunks = [];
        req.on("data", (chunk) => chunks.push(chunk));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const type = req.headers["content-type"] || "";
            try {
                if (type.includes("application/json") && body)
                    Object.assign(params, JSON.parse(body));
                else if (type.includes("x-www-form-urlencoded")) {
                    Object.assign(params, Object.fromEntries(new URLSearchParams(body)));
                }
            } catch {
                // A malformed body simply carries no parameters.
            }
            resolve(params);
        });
    });
}

function send(res, status, body) {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
}

async function handle(req, res) {
    const url = new URL(req.url, "http://fake-bot-api");
    if (url.pathname === "/e2e/health") return send(res, 200, { ok: true });
    if (url.pathname === "/e2e/calls") return send(res, 200, { ok: true, result: calls });
    const match = /^\/bot(\d+):[A-Za-z0-9_-]+\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return send(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    const botId = Number(match[1]);
    const method = match[2];
    const params = await readParams(req, url);
    record({ at: new Date().toISOString(), botId, method, timeout: params.timeout });
    const answer = methods[method.toLowerCase()];
    if (!answer) {
        return send(res, 404, {
            ok: false,
            error_code: 404,
            description: "Not Found: method not found",
        });
    }
    send(res, 200, { ok: true, result: await answer(botId, params) });
}

function dropPrivileges() {
    if (process.getuid() !== 0) return;
    fs.mkdirSync(workDir, { recursive: true });
    fs.chownSync(workDir, 101, 101);
    process.setgid(101);
    process.setuid(101);
}

const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => send(res, 500, { ok: false, description: String(error) }));
});
server.listen(port, "0.0.0.0", () => {
    dropPrivileges();
    console.log(`fake Local Bot API listening on ${port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
    // Long polls would hold server.close() for up to 50 s; nothing needs a graceful end here.
    process.on(signal, () => process.exit(0));
}
