import { randomUUID } from "node:crypto";
import { createServer, IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";

/**
 * A loopback stand-in for the Timeweb Cloud API: the endpoints our providers use, with the
 * response shapes of the public OpenAPI document (timeweb-cloud/sdk-go api/openapi.yaml,
 * docs/*.md): entity wrappers (`server`, `ssh_key`, `group`, `rule`, `server_presets`, ...),
 * `meta.total` on lists, `response_id` everywhere, errors as
 * `{status_code, error_code, message, response_id}`. It checks the bearer token, records every
 * request, and can be told to answer the next matching requests with canned failures.
 */

export interface RecordedRequest {
    readonly method: string;
    readonly path: string;
    readonly query: Record<string, string>;
    readonly authorization: string | undefined;
    readonly body: unknown;
}

export interface CannedResponse {
    readonly status: number;
    readonly headers?: Record<string, string>;
    readonly body?: unknown;
}

interface FakeServer {
    id: number;
    name: string;
    comment: string;
    status: string;
    preset_id: number | null;
    configurator_id: number | null;
    os: { id: number; name: string; version: string };
    availability_zone: string;
    location: string;
    cloud_init: string | null;
    root_pass: string | null;
    ssh_key_ids: number[];
    ipv4: string | null;
    pollsLeft: number;
}

export interface FakeOptions {
    /** GETs a new server answers with `installing` before it is `on`. */
    readonly pollsUntilOn?: number;
    /** New servers come up without a public IPv4 (it must be ordered through /ips). */
    readonly withoutIpv4?: boolean;
    /** DELETE /servers/{id} only returns a confirmation hash (Telegram confirmation is on). */
    readonly requireDeleteConfirmation?: boolean;
}

export const FAKE_PRESETS = [
    {
        id: 2447,
        location: "ru-3",
        price: 550,
        cpu: 1,
        cpu_frequency: "3.3",
        ram: 2048,
        disk: 10240,
        disk_type: "nvme",
        bandwidth: 200,
        description: "Fast 3.3 GHz",
        description_short: "Cloud MSK 2 GB",
        is_allowed_local_network: true,
        tags: [],
    },
    {
        id: 2449,
        location: "ru-3",
        price: 657,
        cpu: 1,
        cpu_frequency: "3.3",
        ram: 2048,
        disk: 30720,
        disk_type: "nvme",
        bandwidth: 200,
        description: "Fast 3.3 GHz",
        description_short: "Cloud MSK 30",
        is_allowed_local_network: true,
        tags: [],
    },
    {
        id: 2451,
        location: "ru-3",
        price: 800,
        cpu: 2,
        cpu_frequency: "3.3",
        ram: 2048,
        disk: 40960,
        disk_type: "nvme",
        bandwidth: 200,
        description: "Fast 3.3 GHz",
        description_short: "Cloud MSK 40",
        is_allowed_local_network: true,
        tags: [],
    },
    {
        id: 2235,
        location: "ru-1",
        price: 590,
        cpu: 1,
        cpu_frequency: "3.3",
        ram: 2048,
        disk: 30720,
        disk_type: "nvme",
        bandwidth: 200,
        description: "",
        description_short: "Scarlett",
        is_allowed_local_network: true,
        tags: [],
    },
];

export const FAKE_OS = [
    {
        id: 79,
        family: "linux",
        name: "ubuntu",
        version: "22.04",
        version_codename: "jammy",
        description: "",
    },
    {
        id: 99,
        family: "linux",
        name: "ubuntu",
        version: "24.04",
        version_codename: "noble",
        description: "",
    },
    {
        id: 47,
        family: "linux",
        name: "debian",
        version: "12",
        version_codename: "bookworm",
        description: "",
    },
];

export const FAKE_CONFIGURATORS = [
    {
        id: 11,
        location: "ru-3",
        disk_type: "nvme",
        is_allowed_local_network: true,
        cpu_frequency: "3.3",
        requirements: {},
    },
];

export class FakeTimewebApi {
    readonly token = `fake-jwt-${randomUUID()}`;
    readonly requests: RecordedRequest[] = [];
    readonly servers = new Map<number, FakeServer>();
    readonly sshKeys = new Map<
        number,
        { id: number; name: string; body: string; is_default: boolean }
    >();
    readonly groups = new Map<
        string,
        {
            id: string;
            name: string;
            description: string;
            policy: string;
            rules: Map<string, Record<string, unknown>>;
            resources: Set<number>;
        }
    >();
    private readonly canned: { method: string; path: RegExp; response: CannedResponse }[] = [];
    private readonly http: HttpServer;
    private nextId = 1000;
    url = "";

    constructor(private readonly options: FakeOptions = {}) {
        this.http = createServer((req, res) => {
            void this.handle(req, res);
        });
    }

    async start(): Promise<this> {
        await new Promise<void>((resolve) => this.http.listen(0, "127.0.0.1", resolve));
        this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
        return this;
    }

    async close(): Promise<void> {
        this.http.closeAllConnections();
        await new Promise<void>((resolve) => this.http.close(() => resolve()));
    }

    /** The next matching requests get these answers, in order, before normal handling resumes. */
    failNext(method: string, path: RegExp, ...responses: CannedResponse[]): void {
        for (const response of responses) this.canned.push({ method, path, response });
    }

    /** Requests other than the given method+path prefix are filtered out. */
    calls(method: string, pathPrefix: string): RecordedRequest[] {
        return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", "http://fake");
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const text = Buffer.concat(chunks).toString("utf8");
        const body = text === "" ? undefined : JSON.parse(text);
        const method = req.method ?? "GET";
        const path = url.pathname.replace(/^\/api\/v1/, "");
        this.requests.push({
            method,
            path,
            query: Object.fromEntries(url.searchParams),
            authorization: req.headers.authorization,
            body,
        });
        const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
            const withId =
                payload === undefined
                    ? undefined
                    : { ...(payload as object), response_id: randomUUID() };
            res.writeHead(status, { "Content-Type": "application/json", ...headers });
            res.end(withId === undefined ? "" : JSON.stringify(withId));
        };
        const index = this.canned.findIndex((c) => c.method === method && c.path.test(path));
        if (index >= 0) {
            const { response } = this.canned.splice(index, 1)[0]!;
            send(response.status, response.body, response.headers);
            return;
        }
        if (req.headers.authorization !== `Bearer ${this.token}`) {
            send(401, { status_code: 401, error_code: "unauthorized", message: "Invalid token" });
            return;
        }
        const answer = this.route(method, path, url.searchParams, body);
        send(answer.status, answer.body);
    }

    private error(status: number, code: string, message: string | string[]): CannedResponse {
        return { status, body: { status_code: status, error_code: code, message } };
    }

    private route(method: string, path: string, query: URLSearchParams, body: any): CannedResponse {
        const parts = path.split("/").filter(Boolean);
        const shape = parts.map((p) => (/^\d+$|^[0-9a-f-]{36}$/.test(p) ? ":id" : p));
        const key = `${method} /${shape.join("/")}`;
        switch (key) {
            case "GET /presets/servers":
                return {
                    status: 200,
                    body: { meta: { total: FAKE_PRESETS.length }, server_presets: FAKE_PRESETS },
                };
            case "GET /configurator/servers":
                return {
                    status: 200,
                    body: { meta: { total: 1 }, server_configurators: FAKE_CONFIGURATORS },
                };
            case "GET /os/servers":
                return {
                    status: 200,
                    body: { meta: { total: FAKE_OS.length }, servers_os: FAKE_OS },
                };
            case "POST /ssh-keys":
                return this.createKey(body);
            case "GET /ssh-keys/:id":
            case "PATCH /ssh-keys/:id":
            case "DELETE /ssh-keys/:id":
                return this.keyById(method, Number(parts[1]), body);
            case "POST /servers":
                return this.createServer(body);
            case "GET /servers/:id":
            case "PATCH /servers/:id":
            case "DELETE /servers/:id":
                return this.serverById(method, Number(parts[1]), body);
            case "POST /servers/:id/ips":
                return this.addIp(Number(parts[1]), body);
            case "POST /servers/:id/ssh-keys":
            case "DELETE /servers/:id/ssh-keys/:id":
                return this.serverKeys(method, Number(parts[1]), body, Number(parts[3]));
            case "POST /firewall/groups":
                return this.createGroup(query.get("policy") ?? "DROP", body);
            case "GET /firewall/groups/:id":
            case "PATCH /firewall/groups/:id":
            case "DELETE /firewall/groups/:id":
                return this.groupById(method, parts[2]!, body);
            case "GET /firewall/groups/:id/rules":
            case "POST /firewall/groups/:id/rules":
            case "DELETE /firewall/groups/:id/rules/:id":
                return this.rules(method, parts[2]!, body, parts[4]);
            case "POST /firewall/groups/:id/resources/:id":
            case "DELETE /firewall/groups/:id/resources/:id":
                return this.link(method, parts[2]!, Number(parts[4]), query.get("resource_type"));
            default:
                return this.error(404, "not_found", `No route ${method} ${path}`);
        }
    }

    private createKey(body: any): CannedResponse {
        const problems: string[] = [];
        if (typeof body?.name !== "string" || body.name === "")
            problems.push("name should not be empty");
        if (typeof body?.body !== "string" || !/^ssh-|^ecdsa-/.test(body.body))
            problems.push("body must be an SSH key");
        if (typeof body?.is_default !== "boolean")
            problems.push("is_default must be a boolean value");
        if (problems.length > 0) return this.error(400, "bad_request", problems);
        const id = this.nextId++;
        const key = { id, name: body.name, body: body.body, is_default: body.is_default };
        this.sshKeys.set(id, key);
        return { status: 201, body: { ssh_key: this.keyView(id) } };
    }

    private keyView(id: number) {
        const key = this.sshKeys.get(id)!;
        const usedBy = [...this.servers.values()]
            .filter((s) => s.ssh_key_ids.includes(id))
            .map((s) => ({ id: s.id, name: s.name }));
        return { ...key, created_at: "2026-11-26T06:00:00Z", used_by: usedBy };
    }

    private keyById(method: string, id: number, body: any): CannedResponse {
        if (!this.sshKeys.has(id)) return this.error(404, "not_found", "SSH key not found");
        if (method === "DELETE") {
            this.sshKeys.delete(id);
            return { status: 204 };
        }
        if (method === "PATCH")
            Object.assign(this.sshKeys.get(id)!, pick(body, ["name", "body", "is_default"]));
        return { status: 200, body: { ssh_key: this.keyView(id) } };
    }

    private createServer(body: any): CannedResponse {
        const problems: string[] = [];
        if (typeof body?.name !== "string" || body.name === "")
            problems.push("name should not be empty");
        if ((body?.preset_id === undefined) === (body?.configuration === undefined)) {
            problems.push(
                "preset_id and configuration are mutually exclusive; exactly one is required",
            );
        }
        const preset = FAKE_PRESETS.find((p) => p.id === body?.preset_id);
        if (body?.preset_id !== undefined && !preset)
            problems.push(`preset ${body.preset_id} does not exist`);
        const os = FAKE_OS.find((o) => o.id === body?.os_id);
        if (!os) problems.push("os_id must be a valid OS id");
        for (const keyId of body?.ssh_keys_ids ?? []) {
            if (!this.sshKeys.has(keyId)) problems.push(`ssh key ${keyId} does not exist`);
        }
        if (problems.length > 0) return this.error(400, "bad_request", problems);
        if ([...this.servers.values()].some((s) => s.name === body.name)) {
            return this.error(409, "conflict", "Server name must be unique");
        }
        const id = this.nextId++;
        this.servers.set(id, {
            id,
            name: body.name,
            comment: body.comment ?? "",
            status: "installing",
            preset_id: body.preset_id ?? null,
            configurator_id: body.configuration?.configurator_id ?? null,
            os: { id: os!.id, name: os!.name, version: os!.version },
            availability_zone: body.availability_zone ?? "spb-3",
            location: preset?.location ?? "ru-3",
            cloud_init: body.cloud_init ?? null,
            // Timeweb shows a root password unless the server is created key-only.
            root_pass: body.is_root_password_required === false ? null : "fake-root-password",
            ssh_key_ids: [...(body.ssh_keys_ids ?? [])],
            ipv4: this.options.withoutIpv4 ? null : `192.0.2.${id % 250}`,
            pollsLeft: this.options.pollsUntilOn ?? 2,
        });
        return { status: 201, body: { server: this.serverView(id) } };
    }

    private serverView(id: number) {
        const s = this.servers.get(id)!;
        return {
            id,
            name: s.name,
            comment: s.comment,
            created_at: "2026-11-26T06:00:00Z",
            os: s.os,
            software: null,
            preset_id: s.preset_id,
            location: s.location,
            configurator_id: s.configurator_id,
            boot_mode: "std",
            status: s.status,
            start_at: null,
            is_ddos_guard: false,
            is_master_ssh: false,
            is_dedicated_cpu: false,
            gpu: 0,
            cpu: 1,
            cpu_frequency: "3.3",
            ram: 2048,
            disks: [],
            avatar_id: null,
            vnc_pass: "fake-vnc",
            root_pass: s.root_pass,
            image: null,
            cloud_init: s.cloud_init,
            is_qemu_agent: true,
            availability_zone: s.availability_zone,
            networks: [
                {
                    type: "public",
                    nat_mode: null,
                    bandwidth: 200,
                    is_ddos_guard: false,
                    blocked_ports: [],
                    ips:
                        s.ipv4 === null
                            ? []
                            : [{ type: "ipv4", ip: s.ipv4, ptr: "", is_main: true }],
                },
            ],
        };
    }

    private serverById(method: string, id: number, body: any): CannedResponse {
        const server = this.servers.get(id);
        if (!server) return this.error(404, "not_found", "Server not found");
        if (method === "DELETE") {
            if (this.options.requireDeleteConfirmation) {
                return {
                    status: 200,
                    body: { server_delete: { hash: randomUUID(), is_moved_in_quarantine: false } },
                };
            }
            this.servers.delete(id);
            return { status: 200, body: { server_delete: { is_moved_in_quarantine: false } } };
        }
        if (method === "PATCH") {
            Object.assign(server, pick(body, ["name", "comment", "preset_id"]));
            if (body?.preset_id !== undefined || body?.configurator !== undefined) {
                server.status = "configuring";
                server.pollsLeft = 1;
            }
            return { status: 200, body: { server: this.serverView(id) } };
        }
        if (server.status !== "on" && server.pollsLeft-- <= 0) server.status = "on";
        return { status: 200, body: { server: this.serverView(id) } };
    }

    private addIp(id: number, body: any): CannedResponse {
        const server = this.servers.get(id);
        if (!server) return this.error(404, "not_found", "Server not found");
        if (body?.type !== "ipv4" && body?.type !== "ipv6")
            return this.error(400, "bad_request", "type must be ipv4 or ipv6");
        server.ipv4 = `198.51.100.${id % 250}`;
        return {
            status: 201,
            body: { server_ip: { type: "ipv4", ip: server.ipv4, ptr: "", is_main: true } },
        };
    }

    private serverKeys(method: string, id: number, body: any, keyId: number): CannedResponse {
        const server = this.servers.get(id);
        if (!server) return this.error(404, "not_found", "Server not found");
        if (method === "POST") {
            const ids: number[] = body?.ssh_key_ids ?? [];
            if (ids.length === 0 || ids.some((k) => !this.sshKeys.has(k))) {
                return this.error(400, "bad_request", "ssh_key_ids must list existing keys");
            }
            server.ssh_key_ids = [...new Set([...server.ssh_key_ids, ...ids])];
            return { status: 204 };
        }
        server.ssh_key_ids = server.ssh_key_ids.filter((k) => k !== keyId);
        return { status: 204 };
    }

    private createGroup(policy: string, body: any): CannedResponse {
        if (typeof body?.name !== "string" || body.name === "")
            return this.error(400, "bad_request", ["name should not be empty"]);
        if (policy !== "DROP" && policy !== "ACCEPT")
            return this.error(400, "bad_request", "policy must be DROP or ACCEPT");
        const id = randomUUID();
        this.groups.set(id, {
            id,
            name: body.name,
            description: body.description ?? "",
            policy,
            rules: new Map(),
            resources: new Set(),
        });
        return { status: 201, body: { group: this.groupView(id) } };
    }

    private groupView(id: string) {
        const g = this.groups.get(id)!;
        return {
            id,
            name: g.name,
            description: g.description,
            policy: g.policy,
            created_at: "2026-11-26T06:00:00Z",
            updated_at: "2026-11-26T06:00:00Z",
        };
    }

    private groupById(method: string, id: string, body: any): CannedResponse {
        if (!this.groups.has(id)) return this.error(404, "not_found", "Group not found");
        if (method === "DELETE") {
            this.groups.delete(id);
            return { status: 204 };
        }
        if (method === "PATCH")
            Object.assign(this.groups.get(id)!, pick(body, ["name", "description"]));
        return { status: 200, body: { group: this.groupView(id) } };
    }

    private rules(
        method: string,
        groupId: string,
        body: any,
        ruleId: string | undefined,
    ): CannedResponse {
        const group = this.groups.get(groupId);
        if (!group) return this.error(404, "not_found", "Group not found");
        if (method === "GET") {
            const rules = [...group.rules.values()];
            return { status: 200, body: { meta: { total: rules.length }, rules } };
        }
        if (method === "DELETE") {
            if (!group.rules.delete(ruleId!)) return this.error(404, "not_found", "Rule not found");
            return { status: 204 };
        }
        if (
            !["ingress", "egress"].includes(body?.direction) ||
            !["tcp", "udp", "icmp"].includes(body?.protocol)
        ) {
            return this.error(400, "bad_request", ["direction and protocol are required"]);
        }
        const id = randomUUID();
        const rule = {
            id,
            description: body.description ?? "",
            direction: body.direction,
            protocol: body.protocol,
            ...(body.port === undefined ? {} : { port: body.port }),
            cidr: body.cidr,
            group_id: groupId,
        };
        group.rules.set(id, rule);
        return { status: 201, body: { rule } };
    }

    private link(
        method: string,
        groupId: string,
        resourceId: number,
        type: string | null,
    ): CannedResponse {
        const group = this.groups.get(groupId);
        if (!group) return this.error(404, "not_found", "Group not found");
        if (type !== "server")
            return this.error(400, "bad_request", "resource_type must be server");
        if (!this.servers.has(resourceId)) return this.error(404, "not_found", "Server not found");
        if (method === "DELETE") {
            group.resources.delete(resourceId);
            return { status: 204 };
        }
        group.resources.add(resourceId);
        return { status: 201, body: { resource: { id: resourceId, type: "server" } } };
    }
}

function pick(body: any, keys: string[]): Record<string, unknown> {
    return Object.fromEntries(keys.filter((k) => body?.[k] !== undefined).map((k) => [k, body[k]]));
}
