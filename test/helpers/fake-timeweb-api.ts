import { randomUUID } from "node:crypto";
import { createServer, IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import {
    configuratorsByType,
    FAKE_CONFIGURATORS,
    FAKE_OS,
    FAKE_PRESETS,
} from "./fake-timeweb-catalog";

export { FAKE_CONFIGURATORS, FAKE_OS, FAKE_PRESETS } from "./fake-timeweb-catalog";

/*
 * A loopback stand-in for the Timeweb Cloud API: the endpoints our providers and
 * `npm run timeweb -- plan` use, answering the way public sources written against the real API
 * say it answers. Every behaviour names its source:
 *   [spec] timeweb-cloud/sdk-go api/openapi.yaml at 1779a9a (2026-07-23), by line;
 *   [twc]  timeweb-cloud/twc, the official CLI, hand-written against the live API, at 5a8829e
 *          (v2.14.1), by file and function, and its CHANGELOG.md;
 *   [tf]   timeweb-cloud/terraform-provider-timeweb-cloud CHANGELOG.md / docs at 3817e21;
 *   [issue] issue 16's reading of those, where they leave a detail open (marked as such).
 * Envelopes [spec] info "Структура успешного ответа" / "Структура ответа с ошибкой": entity
 * wrappers (`server`, `ssh_key`, `group`, `rule`, `ip`, ...), `meta.total` on lists, `response_id`
 * everywhere, errors as `{status_code, error_code, message, response_id}`.
 * It checks the bearer token, records every request, and can be told to answer the next matching
 * requests with canned failures.
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
    preset_id: number | null;
    configurator_id: number | null;
    configuration: { cpu: number; ram: number; disk: number; gpu: number } | null;
    os: { id: number; name: string; version: string };
    availability_zone: string;
    location: string;
    cloud_init: string | null;
    root_pass: string | null;
    ssh_key_ids: number[];
    /** GET /servers/{id} answers so far; status and IPv4 appear after some of them. */
    gets: number;
    /** After a resize the server is `configuring` for one more GET. */
    configuringUntil: number;
}

export interface FloatingIp {
    id: string;
    ip: string;
    is_ddos_guard: boolean;
    availability_zone: string;
    resource_type: "server" | null;
    resource_id: number | null;
    comment: string;
    ptr: string;
    /** The GET of its server from which on the address shows in `networks`. */
    visibleAfterGets: number;
}

export interface FakeOptions {
    /** GETs a new server answers with `installing` before it is `on`. Default 2. */
    readonly pollsUntilOn?: number;
    /**
     * GETs before the IPv4 ordered with `create_ip` shows in the server's networks: the API
     * answers 201 while the server is still being set up ([spec] info "Статусы ресурсов").
     * Default 3, one more than pollsUntilOn: the server is `on` before its address is there.
     */
    readonly pollsUntilIpv4?: number;
    /** How DELETE /servers/{id} is confirmed on this account; default: not at all (204). */
    readonly deleteConfirmation?: "telegram" | "sms";
    /** Linking a group to a server answers 409 this many times first ([tf] v1.2.2, v1.3.1). */
    readonly linkConflicts?: number;
    /** Every n-th request to one endpoint answers 429, alternately with and without Retry-After. */
    readonly rateLimitEvery?: number;
    /** GET /configurator/servers without `preset_type`, the older shape [spec] documents. */
    readonly configuratorsWithoutPresetType?: boolean;
}

/** A request path's segments; a route reads only the ones its own pattern has. */
type Segments = readonly [string, string, string, string, string];
type Route = (parts: Segments, query: URLSearchParams, body: any) => CannedResponse;

export class FakeTimewebApi {
    /** The account's one valid API token; rotateToken() revokes it and issues another. */
    token = `fake-jwt-${randomUUID()}`;
    readonly requests: RecordedRequest[] = [];
    readonly servers = new Map<number, FakeServer>();
    readonly floatingIps = new Map<string, FloatingIp>();
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
    /** Remaining 409 answers to link requests; tests may change it between runs. */
    linkConflictsLeft: number;
    private readonly canned: { method: string; path: RegExp; response: CannedResponse }[] = [];
    private readonly perEndpoint = new Map<string, number>();
    private rateLimited = 0;
    private readonly http: HttpServer;
    private nextId = 1000;
    private nextIp = 0;
    url = "";

    constructor(private readonly options: FakeOptions = {}) {
        this.linkConflictsLeft = options.linkConflicts ?? 0;
        this.http = createServer((req, res) => {
            void this.handle(req, res);
        });
    }

    /** Listens on 127.0.0.1, on `port` or one the OS picks. */
    async start(port = 0): Promise<this> {
        await new Promise<void>((resolve) => this.http.listen(port, "127.0.0.1", resolve));
        this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
        return this;
    }

    async close(): Promise<void> {
        this.http.closeAllConnections();
        await new Promise<void>((resolve) => this.http.close(() => resolve()));
    }

    /** A new token replaces the old one, which the API refuses from now on. */
    rotateToken(): string {
        this.token = `fake-jwt-${randomUUID()}`;
        return this.token;
    }

    /** The next matching requests get these answers, in order, before normal handling resumes. */
    failNext(method: string, path: RegExp, ...responses: CannedResponse[]): void {
        for (const response of responses) this.canned.push({ method, path, response });
    }

    /** Requests with this method whose path starts with the prefix. */
    calls(method: string, pathPrefix: string): RecordedRequest[] {
        return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
    }

    /** Floating IPs bound to a server. */
    ipsOf(serverId: number): FloatingIp[] {
        return [...this.floatingIps.values()].filter(
            (ip) => ip.resource_type === "server" && ip.resource_id === serverId,
        );
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
            res.writeHead(status, {
                ...(withId === undefined ? {} : { "Content-Type": "application/json" }),
                ...headers,
            });
            res.end(withId === undefined ? "" : JSON.stringify(withId));
        };
        const index = this.canned.findIndex((c) => c.method === method && c.path.test(path));
        if (index >= 0) {
            const { response } = this.canned.splice(index, 1)[0]!;
            send(response.status, response.body, response.headers);
            return;
        }
        // [twc] twc/api/base.py _request: "401 Unauthorized response haven't body".
        if (req.headers.authorization !== `Bearer ${this.token}`) {
            send(401);
            return;
        }
        const limited = this.rateLimit(method, path);
        if (limited) {
            send(limited.status, limited.body, limited.headers);
            return;
        }
        const answer = this.route(method, path, url.searchParams, body);
        send(answer.status, answer.body, answer.headers);
    }

    /**
     * [spec] info "Ограничение скорости запросов": more than 20 requests a second to one endpoint
     * may get 429 Too Many Requests, body getFinances_429_response (line 65913). The spec names no
     * Retry-After header, so the fake sends it on every other 429 only and clients must cope with
     * both; [tf] v0.0.14 and v1.3.0 met 429 on firewall rules and deletes.
     */
    private rateLimit(method: string, path: string): CannedResponse | undefined {
        const every = this.options.rateLimitEvery;
        if (every === undefined) return undefined;
        const key = `${method} ${endpointShape(path)}`;
        const count = (this.perEndpoint.get(key) ?? 0) + 1;
        this.perEndpoint.set(key, count);
        if (count % every !== 0) return undefined;
        this.rateLimited++;
        return {
            status: 429,
            ...(this.rateLimited % 2 === 1 ? { headers: { "Retry-After": "1" } } : {}),
            body: {
                status_code: 429,
                error_code: "too_many_requests",
                message: "Too many requests",
            },
        };
    }

    private error(status: number, code: string, message: string | string[]): CannedResponse {
        return { status, body: { status_code: status, error_code: code, message } };
    }

    private route(method: string, path: string, query: URLSearchParams, body: any): CannedResponse {
        const parts = path.split("/").filter(Boolean);
        const routes: Record<string, Route> = {
            "GET /presets/servers": () => list("server_presets", FAKE_PRESETS),
            "GET /configurator/servers": () => list("server_configurators", this.configurators()),
            "GET /presets/types/servers": () => ({
                status: 200,
                body: { configurators: configuratorsByType(this.configurators()) },
            }),
            "GET /os/servers": () => list("servers_os", FAKE_OS),
            "POST /ssh-keys": () => this.createKey(body),
            "GET /ssh-keys/:id": (p) => this.keyById("GET", Number(p[1]), body),
            "PATCH /ssh-keys/:id": (p) => this.keyById("PATCH", Number(p[1]), body),
            "DELETE /ssh-keys/:id": (p) => this.keyById("DELETE", Number(p[1]), body),
            "POST /servers": () => this.createServer(body),
            "GET /servers/:id": (p) => this.getServer(Number(p[1])),
            "PATCH /servers/:id": (p) => this.patchServer(Number(p[1]), body),
            "DELETE /servers/:id": (p) => this.deleteServer(Number(p[1])),
            "POST /servers/:id/ssh-keys": (p) => this.serverKeys("POST", Number(p[1]), body, 0),
            "DELETE /servers/:id/ssh-keys/:id": (p) =>
                this.serverKeys("DELETE", Number(p[1]), body, Number(p[3])),
            "GET /floating-ips": () => list("ips", [...this.floatingIps.values()].map(ipView)),
            "POST /floating-ips": () => this.createFloatingIp(body),
            "GET /floating-ips/:id": (p) => this.floatingIpById("GET", p[1]),
            "DELETE /floating-ips/:id": (p) => this.floatingIpById("DELETE", p[1]),
            "POST /floating-ips/:id/bind": (p) => this.bind(p[1], body),
            "POST /floating-ips/:id/unbind": (p) => this.unbind(p[1]),
            "POST /firewall/groups": (_p, q) => this.createGroup(q.get("policy") ?? "DROP", body),
            "GET /firewall/groups/:id": (p) => this.groupById("GET", p[2], body),
            "PATCH /firewall/groups/:id": (p) => this.groupById("PATCH", p[2], body),
            "DELETE /firewall/groups/:id": (p) => this.groupById("DELETE", p[2], body),
            "GET /firewall/groups/:id/rules": (p) => this.rules("GET", p[2], body, undefined),
            "POST /firewall/groups/:id/rules": (p) => this.rules("POST", p[2], body, undefined),
            "DELETE /firewall/groups/:id/rules/:id": (p) => this.rules("DELETE", p[2], body, p[4]),
            "POST /firewall/groups/:id/resources/:id": (p, q) =>
                this.link("POST", p[2], Number(p[4]), q.get("resource_type")),
            "DELETE /firewall/groups/:id/resources/:id": (p, q) =>
                this.link("DELETE", p[2], Number(p[4]), q.get("resource_type")),
            "GET /firewall/service/server/:id": (p) => this.groupsOf(Number(p[3])),
        };
        const route = routes[`${method} ${endpointShape(path)}`];
        if (route === undefined) return this.error(404, "not_found", `No route ${method} ${path}`);
        return route(parts as unknown as Segments, query, body);
    }

    private configurators() {
        if (!this.options.configuratorsWithoutPresetType) return FAKE_CONFIGURATORS;
        return FAKE_CONFIGURATORS.map(({ preset_type: _type, ...rest }) => rest);
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

    /**
     * POST /servers, [spec] create-server (line 60085): `preset_id` xor `configuration`
     * (create_server_configuration, line 74870: configurator_id, cpu, ram, disk required, gpu
     * optional), `os_id`, `network` (create_server_network, line 74899).
     * A public IPv4 only when asked: `network.floating_ip: "create_ip"` orders a new floating IP
     * in the server's zone ([twc] twc/commands/server.py server_create: "New public IPv4 address
     * will be automatically requested with correct availability zone. This is an official dirty
     * hack."; `--no-public-ip` leaves it out). Without it the server gets an IPv6 address only
     * ([issue] 16; [twc] CHANGELOG 2.5.0: IP addresses are separate resources now).
     */
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
        const configurator = FAKE_CONFIGURATORS.find(
            (c) => c.id === body?.configuration?.configurator_id,
        );
        if (body?.configuration !== undefined) {
            if (!configurator)
                problems.push(`configurator ${body.configuration.configurator_id} does not exist`);
            else problems.push(...configurationProblems(configurator, body.configuration));
        }
        const os = FAKE_OS.find((o) => o.id === body?.os_id);
        if (!os) problems.push("os_id must be a valid OS id");
        for (const keyId of body?.ssh_keys_ids ?? []) {
            if (!this.sshKeys.has(keyId)) problems.push(`ssh key ${keyId} does not exist`);
        }
        const floating = body?.network?.floating_ip;
        if (floating !== undefined && floating !== "create_ip")
            problems.push("network.floating_ip: the fake only orders new IPs (create_ip)");
        if (problems.length > 0) return this.error(400, "bad_request", problems);
        if ([...this.servers.values()].some((s) => s.name === body.name)) {
            return this.error(409, "conflict", "Server name must be unique");
        }
        const id = this.nextId++;
        const zone = body.availability_zone ?? "spb-3";
        this.servers.set(id, {
            id,
            name: body.name,
            comment: body.comment ?? "",
            preset_id: body.preset_id ?? null,
            configurator_id: configurator?.id ?? null,
            configuration:
                body.configuration === undefined
                    ? null
                    : {
                          cpu: body.configuration.cpu,
                          ram: body.configuration.ram,
                          disk: body.configuration.disk,
                          gpu: body.configuration.gpu ?? 0,
                      },
            os: { id: os!.id, name: os!.name, version: os!.version },
            availability_zone: zone,
            location: preset?.location ?? configurator?.location ?? "ru-3",
            cloud_init: body.cloud_init ?? null,
            // Timeweb shows a root password unless the server is created key-only.
            root_pass: body.is_root_password_required === false ? null : "fake-root-password",
            ssh_key_ids: [...(body.ssh_keys_ids ?? [])],
            gets: 0,
            configuringUntil: 0,
        });
        if (floating === "create_ip") {
            const ip = this.newFloatingIp(zone);
            Object.assign(ip, {
                resource_type: "server",
                resource_id: id,
                visibleAfterGets: this.options.pollsUntilIpv4 ?? 3,
            });
        }
        return { status: 201, body: { server: this.serverView(id) } };
    }

    /** The server as GET /servers/{id} shows it, [spec] vds (line 59806). */
    private serverView(id: number) {
        const s = this.servers.get(id)!;
        const status =
            s.gets <= (this.options.pollsUntilOn ?? 2)
                ? "installing"
                : s.gets <= s.configuringUntil
                  ? "configuring"
                  : "on";
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
            status,
            start_at: null,
            is_ddos_guard: false,
            is_master_ssh: false,
            is_dedicated_cpu: false,
            gpu: s.configuration?.gpu ?? 0,
            cpu: s.configuration?.cpu ?? 1,
            cpu_frequency: "3.3",
            ram: s.configuration?.ram ?? 2048,
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
                    // [spec] vds_networks_inner_ips_inner (line 74770): type, ip, ptr, is_main.
                    // Floating IPs also carry their `id` ([twc] server.py server_remove reads
                    // `ip.get("id")` to delete them after the server).
                    ips: [
                        ...this.ipsOf(id)
                            .filter((ip) => s.gets > ip.visibleAfterGets)
                            .map((ip, index) => ({
                                type: "ipv4",
                                ip: ip.ip,
                                ptr: "",
                                is_main: index === 0,
                                id: ip.id,
                            })),
                        {
                            type: "ipv6",
                            ip: `2001:db8:7::${id.toString(16)}`,
                            ptr: "",
                            is_main: false,
                        },
                    ],
                },
            ],
        };
    }

    private getServer(id: number): CannedResponse {
        const server = this.servers.get(id);
        if (!server) return this.error(404, "not_found", "Server not found");
        server.gets++;
        return { status: 200, body: { server: this.serverView(id) } };
    }

    /**
     * PATCH /servers/{id}, [spec] update-server (line 60161). A configurator resize goes in the
     * key `configurator`, not `configuration` ([twc] twc/api/client.py update_server: "API issue:
     * Non-consistent name"). A resize keeps the server `configuring` for a while.
     */
    private patchServer(id: number, body: any): CannedResponse {
        const server = this.servers.get(id);
        if (!server) return this.error(404, "not_found", "Server not found");
        if (body?.configuration !== undefined)
            return this.error(400, "bad_request", "property configuration should not exist");
        Object.assign(server, pick(body, ["name", "comment", "preset_id"]));
        if (body?.configurator !== undefined) {
            const configurator = FAKE_CONFIGURATORS.find(
                (c) => c.id === body.configurator.configurator_id,
            );
            if (!configurator) return this.error(400, "bad_request", "configurator not found");
            const problems = configurationProblems(configurator, body.configurator);
            if (problems.length > 0) return this.error(400, "bad_request", problems);
            server.configurator_id = configurator.id;
        }
        if (body?.preset_id !== undefined || body?.configurator !== undefined)
            server.configuringUntil = server.gets + 1;
        return { status: 200, body: { server: this.serverView(id) } };
    }

    /**
     * DELETE /servers/{id}, [spec] line 20641: 204 when deleted. With Telegram confirmation on,
     * 200 and `server_delete.hash` (deleteServer_200_response, line 67655), to be repeated with
     * `hash` and the `code` from Telegram ([twc] server.py server_remove). With deletion by SMS on,
     * 423 ("если на аккаунте включено удаление серверов по смс, то вернется ошибка 423", line
     * 20645; the error_code is the fake's guess). A token with `is_able_to_delete` skips both (line
     * 20672). Floating IPs outlive their server, unbound, until deleted ([twc] server_remove
     * deletes them afterwards unless --keep-public-ip).
     */
    private deleteServer(id: number): CannedResponse {
        if (!this.servers.has(id)) return this.error(404, "not_found", "Server not found");
        if (this.options.deleteConfirmation === "telegram") {
            return {
                status: 200,
                body: { server_delete: { hash: randomUUID(), is_moved_in_quarantine: false } },
            };
        }
        if (this.options.deleteConfirmation === "sms")
            return this.error(423, "locked", "Server deletion must be confirmed by SMS");
        this.servers.delete(id);
        for (const ip of this.ipsOf(id))
            Object.assign(ip, { resource_type: null, resource_id: null });
        for (const group of this.groups.values()) group.resources.delete(id);
        return { status: 204 };
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

    private newFloatingIp(zone: string): FloatingIp {
        const ip: FloatingIp = {
            id: randomUUID(),
            ip: `192.0.2.${(this.nextIp++ % 250) + 1}`,
            is_ddos_guard: false,
            availability_zone: zone,
            resource_type: null,
            resource_id: null,
            comment: "",
            ptr: "",
            visibleAfterGets: 0,
        };
        this.floatingIps.set(ip.id, ip);
        return ip;
    }

    /** POST /floating-ips, [spec] line 43157: create-floating-ip (line 63929), answer `ip`. */
    private createFloatingIp(body: any): CannedResponse {
        if (typeof body?.availability_zone !== "string" || typeof body?.is_ddos_guard !== "boolean")
            return this.error(400, "bad_request", "availability_zone and is_ddos_guard required");
        const ip = this.newFloatingIp(body.availability_zone);
        return { status: 201, body: { ip: ipView(ip) } };
    }

    /** GET / DELETE /floating-ips/{id}, [spec] line 43317: DELETE answers 204. */
    private floatingIpById(method: string, id: string): CannedResponse {
        const ip = this.floatingIps.get(id);
        if (!ip) return this.error(404, "not_found", "Floating IP not found");
        if (method === "DELETE") {
            this.floatingIps.delete(id);
            return { status: 204 };
        }
        return { status: 200, body: { ip: ipView(ip) } };
    }

    /** POST /floating-ips/{id}/bind, [spec] line 43763: bind-floating-ip (line 63951), 204. */
    private bind(id: string, body: any): CannedResponse {
        const ip = this.floatingIps.get(id);
        if (!ip) return this.error(404, "not_found", "Floating IP not found");
        if (body?.resource_type !== "server" || !this.servers.has(body?.resource_id))
            return this.error(400, "bad_request", "resource_type and resource_id required");
        const server = this.servers.get(body.resource_id)!;
        Object.assign(ip, {
            resource_type: "server",
            resource_id: server.id,
            visibleAfterGets: server.gets + 1,
        });
        return { status: 204 };
    }

    /** POST /floating-ips/{id}/unbind, [spec] line 43907: 204. */
    private unbind(id: string): CannedResponse {
        const ip = this.floatingIps.get(id);
        if (!ip) return this.error(404, "not_found", "Floating IP not found");
        Object.assign(ip, { resource_type: null, resource_id: null });
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

    /**
     * Rules, [spec] FirewallRuleInAPI (line 54368). IPv6 traffic has its own protocols tcp6,
     * udp6, icmp6 ([twc] twc/api/types.py FirewallProto; CHANGELOG 2.6.0 "поддержка протоколов
     * TCP6, UDP6, ICMP6"; twc/commands/firewall.py firewall_rule_create defaults their cidr to
     * ::/0, the others to 0.0.0.0/0); [spec] FirewallRuleProtocol (line 54289) still lists only
     * tcp/udp/icmp. A protocol of the other address family than its cidr is rejected ([issue] 16).
     */
    private rules(
        method: string,
        groupId: string,
        body: any,
        ruleId: string | undefined,
    ): CannedResponse {
        const group = this.groups.get(groupId);
        if (!group) return this.error(404, "not_found", "Group not found");
        if (method === "GET") return list("rules", [...group.rules.values()]);
        if (method === "DELETE") {
            if (!group.rules.delete(ruleId!)) return this.error(404, "not_found", "Rule not found");
            return { status: 204 };
        }
        const v4 = ["tcp", "udp", "icmp"];
        const v6 = ["tcp6", "udp6", "icmp6"];
        if (
            !["ingress", "egress"].includes(body?.direction) ||
            ![...v4, ...v6].includes(body?.protocol)
        ) {
            return this.error(400, "bad_request", ["direction and protocol are required"]);
        }
        const cidrIsV6 = typeof body.cidr === "string" && body.cidr.includes(":");
        if (cidrIsV6 !== v6.includes(body.protocol)) {
            return this.error(400, "bad_request", [
                `protocol ${body.protocol} does not match the address family of cidr ${body.cidr}`,
            ]);
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

    /**
     * Link / unlink, [spec] line 3437: POST answers 201 `{resource: {id, type}}`, DELETE 204.
     * Right after a server is created the link may answer 409 ([tf] v1.2.2 "Исправлена 409 при
     * добавлении к Firewall ресурсов сразу после создания", v1.3.1 "409 ошибка при связывании
     * ресурса с Firewall"); `linkConflicts` says how many times.
     */
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
            if (!group.resources.delete(resourceId))
                return this.error(404, "not_found", "Resource is not linked");
            return { status: 204 };
        }
        if (this.linkConflictsLeft > 0) {
            this.linkConflictsLeft--;
            return this.error(409, "conflict", "Resource is busy, try again later");
        }
        group.resources.add(resourceId);
        return { status: 201, body: { resource: { id: resourceId, type: "server" } } };
    }

    /** GET /firewall/service/{resource_type}/{resource_id}, [spec] line 4598: key `groups`. */
    private groupsOf(serverId: number): CannedResponse {
        const linked = [...this.groups.keys()].filter((id) =>
            this.groups.get(id)!.resources.has(serverId),
        );
        return list(
            "groups",
            linked.map((id) => this.groupView(id)),
        );
    }
}

/** [spec] floating-ip (line 63868). */
function ipView(ip: FloatingIp) {
    const { visibleAfterGets: _hidden, ...view } = ip;
    return view;
}

/** A list answer: [spec] info "Структура успешного ответа" (`meta.total`). */
function list(key: string, items: readonly unknown[]): CannedResponse {
    return { status: 200, body: { meta: { total: items.length }, [key]: items } };
}

/** Method-independent route key: numeric ids and UUIDs become `:id`. */
function endpointShape(path: string): string {
    const parts = path.split("/").filter(Boolean);
    return `/${parts.map((p) => (/^\d+$|^[0-9a-f-]{36}$/.test(p) ? ":id" : p)).join("/")}`;
}

/**
 * What the configurator's requirements ([spec] line 75002) forbid, the checks of [twc]
 * server.py validate_cpu / validate_ram / validate_disk (min, max, step). A configurator with a
 * GPU range wants `gpu` given, 0 included ([issue] 16).
 */
function configurationProblems(
    configurator: (typeof FAKE_CONFIGURATORS)[number],
    wanted: { cpu?: unknown; ram?: unknown; disk?: unknown; gpu?: unknown },
): string[] {
    const req = configurator.requirements as Record<string, number | null>;
    const problems: string[] = [];
    const check = (name: string, key: string, value: unknown) => {
        const min = req[`${key}_min`] ?? null;
        const max = req[`${key}_max`] ?? null;
        const step = req[`${key}_step`] ?? null;
        if (min === null || max === null || step === null) return;
        if (typeof value !== "number" || value < min || value > max || value % step !== 0)
            problems.push(`${name} must be from ${min} to ${max} in steps of ${step}`);
    };
    check("cpu", "cpu", wanted.cpu);
    check("ram", "ram", wanted.ram);
    check("disk", "disk", wanted.disk);
    if (req.gpu_max !== null) {
        if (wanted.gpu === undefined) problems.push("gpu is required for this configurator");
        else check("gpu", "gpu", wanted.gpu);
    } else if (wanted.gpu !== undefined && wanted.gpu !== 0) {
        problems.push("this configurator has no GPUs");
    }
    return problems;
}

function pick(body: any, keys: string[]): Record<string, unknown> {
    return Object.fromEntries(keys.filter((k) => body?.[k] !== undefined).map((k) => [k, body[k]]));
}
