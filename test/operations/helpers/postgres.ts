import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/**
 * A private Postgres cluster from the machine's own packages (Debian's postgresql), standing in
 * for the stack's postgres container. The superuser is the stack's POSTGRES_USER and socket
 * connections are trusted, as in the postgres image. With `tcpPort` it also listens on
 * 127.0.0.1:tcpPort, where a password is required (scram-sha-256), as for the bots' connections.
 */
export class TestPostgres {
    readonly bin: string;
    readonly dir: string;
    readonly socketDir: string;
    readonly port: string;
    private readonly dataDir: string;
    private readonly asPostgres: string[];
    private readonly listenAddresses: string;

    constructor(
        readonly user: string,
        options: { tcpPort?: number } = {},
    ) {
        this.port = String(options.tcpPort ?? 5432);
        this.listenAddresses = options.tcpPort === undefined ? "" : "127.0.0.1";
        this.bin = findPostgresBin();
        this.dir = mkdtempSync(path.join(tmpdir(), "ops-pg-"));
        this.dataDir = path.join(this.dir, "data");
        this.socketDir = this.dir;
        // initdb refuses to run as root.
        this.asPostgres = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
        if (this.asPostgres.length > 0) {
            const uid = Number(execFileSync("id", ["-u", "postgres"]).toString());
            const gid = Number(execFileSync("id", ["-g", "postgres"]).toString());
            chownSync(this.dir, uid, gid);
        }
    }

    start(): void {
        this.runAsOwner(path.join(this.bin, "initdb"), [
            "--pgdata",
            this.dataDir,
            "--username",
            this.user,
            "--auth-local",
            "trust",
            "--auth-host",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--locale",
            "C.UTF-8",
        ]);
        this.runAsOwner(path.join(this.bin, "pg_ctl"), [
            "--pgdata",
            this.dataDir,
            "--wait",
            "--silent",
            "--log",
            path.join(this.dir, "server.log"),
            "--options",
            `-k ${this.socketDir} -c listen_addresses=${this.listenAddresses} -p ${this.port}`,
            "start",
        ]);
    }

    stop(): void {
        if (existsSync(path.join(this.dataDir, "postmaster.pid"))) {
            this.runAsOwner(path.join(this.bin, "pg_ctl"), [
                "--pgdata",
                this.dataDir,
                "--wait",
                "--silent",
                "--mode",
                "immediate",
                "stop",
            ]);
        }
        rmSync(this.dir, { recursive: true, force: true });
    }

    /** The environment the fake docker needs to run Postgres tools against this cluster. */
    fakeDockerEnv(): Record<string, string> {
        return { FAKE_PG_BIN: this.bin, FAKE_PGHOST: this.socketDir, FAKE_PGPORT: this.port };
    }

    /** Runs SQL and returns psql's unaligned, tuples-only output. */
    sql(database: string, sql: string): string {
        return execFileSync(
            path.join(this.bin, "psql"),
            [
                "--no-psqlrc",
                "--quiet",
                "--tuples-only",
                "--no-align",
                "--set",
                "ON_ERROR_STOP=1",
                "--host",
                this.socketDir,
                "--port",
                this.port,
                "--username",
                this.user,
                "--dbname",
                database,
            ],
            { input: sql },
        )
            .toString()
            .trim();
    }

    /**
     * Whether `password` logs `user` in over TCP on 127.0.0.1 (needs `tcpPort`). False only for a
     * refused password; any other failure throws.
     */
    passwordLogsIn(database: string, password: string): boolean {
        if (this.listenAddresses === "") throw new Error("this cluster has no tcpPort");
        const env = { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "5" };
        const login = spawnSync(
            path.join(this.bin, "psql"),
            [
                "--no-psqlrc",
                "--tuples-only",
                "--no-align",
                "--command",
                "SELECT current_user",
                `host=127.0.0.1 port=${this.port} user=${this.user} dbname=${database}`,
            ],
            { encoding: "utf8", env },
        );
        if (login.status === 0 && login.stdout.trim() === this.user) return true;
        if (/password authentication failed/.test(login.stderr)) return false;
        throw new Error(`psql over TCP failed unexpectedly: ${login.stderr}`);
    }

    private runAsOwner(file: string, args: readonly string[]): void {
        const [command, ...prefix] = [...this.asPostgres, file];
        execFileSync(command, [...prefix, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    }
}

/** The newest /usr/lib/postgresql/<major>/bin; throws when the Postgres server is not installed. */
export function findPostgresBin(): string {
    const root = "/usr/lib/postgresql";
    const majors = existsSync(root)
        ? readdirSync(root).filter((name) => existsSync(path.join(root, name, "bin", "initdb")))
        : [];
    majors.sort((a, b) => Number(b) - Number(a));
    if (majors.length === 0) {
        throw new Error(
            "no Postgres server under /usr/lib/postgresql: run scripts/install-deps.sh",
        );
    }
    return path.join(root, majors[0]!, "bin");
}
