import { spawnSync } from "node:child_process";
import {
    chmodSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    statSync,
    utimesSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fingerprint, parseHostKeyLine } from "../../scripts/lib/host-key";
import { COMMANDS } from "../../scripts/ops/commands";
import {
    installFakeDocker,
    installFakePulumi,
    readCalls,
    runCli,
    type CliResult,
} from "./helpers/fake-tools";
import { startSshd, type PrivateSshd } from "./helpers/private-sshd";

/**
 * The ops CLI end to end: a private sshd whose sessions find a fake `docker` first on PATH, a
 * stack dir with fake backup/restore scripts, and a project dir with Pulumi.test.yaml.
 */

let sshd: PrivateSshd;
let work: string;
let home: string;
let project: string;
let stackDir: string;
let dockerLog: string;
let scriptLog: string;

function writeStackConfig(dir: string, stack: string, values: Record<string, string>): void {
    mkdirSync(dir, { recursive: true });
    const lines = Object.entries(values).map(
        ([key, value]) => `  telegram-ecosystem:${key}: ${JSON.stringify(value)}`,
    );
    writeFileSync(join(dir, `Pulumi.${stack}.yaml`), `config:\n${lines.join("\n")}\n`);
}

function baseConfig(overrides: Record<string, string> = {}): Record<string, string> {
    return {
        host: "127.0.0.1",
        sshPort: String(sshd.port),
        sshUser: "root",
        hostKey: sshd.hostKeyPub.split(" ").slice(0, 2).join(" "),
        stackDir,
        ...overrides,
    };
}

function writeScript(path: string, body: string): void {
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
}

function ops(
    args: readonly string[],
    options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
    return runCli("scripts/ops/main.ts", args, {
        cwd: options.cwd ?? project,
        env: { PATH: "/usr/bin:/bin", HOME: home, ...options.env },
        input: options.input,
    });
}

function dockerCalls(): string[][] {
    return readCalls(dockerLog).map((call) => call.argv);
}

beforeAll(async () => {
    sshd = await startSshd();
    work = mkdtempSync(join(tmpdir(), "day2-ops-"));
    home = join(work, "home");
    mkdirSync(join(home, ".ssh"), { recursive: true });
    writeFileSync(join(home, ".ssh/id_ed25519"), readFileSync(sshd.clientKeyPath), { mode: 0o600 });
    stackDir = join(work, "stack dir");
    mkdirSync(join(stackDir, "scripts"), { recursive: true });
    mkdirSync(join(stackDir, "backups"));
    dockerLog = join(work, "docker.log");
    scriptLog = join(work, "scripts.log");
    installFakeDocker(sshd.binDir, dockerLog);
    writeScript(
        join(stackDir, "scripts/backup-postgres.sh"),
        `echo "backup $*" >> '${scriptLog}'\necho "Backup completed: backup_20261126_0300.sql.gz"`,
    );
    writeScript(
        join(stackDir, "scripts/restore-postgres.sh"),
        `printf 'restore %s\\n' "$@" >> '${scriptLog}'`,
    );
    project = join(work, "project");
    writeStackConfig(project, "test", baseConfig());
});

afterAll(async () => {
    await sshd?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
    rmSync(dockerLog, { force: true });
    rmSync(scriptLog, { force: true });
    rmSync(join(sshd.binDir, "docker-exit"), { force: true });
});

describe("usage", () => {
    it("--help prints every command and every exit status, and exits 0", async () => {
        const result = await ops(["--help"]);
        expect(result.code).toBe(0);
        for (const command of [
            "status",
            "check",
            "logs [service]",
            "psql",
            "exec <service> <command...>",
            "backup",
            "restore <file>",
            "ssh",
        ]) {
            expect(result.stdout).toContain(command);
        }
        expect(result.stdout).toContain("2 on a usage error; 3 when the host lacks the");
        expect((await ops(["help"])).stdout).toBe(result.stdout);
    });

    it.each(COMMANDS.map((command) => command.name))(
        "%s --help shows that command's usage and options, and runs nothing",
        async (name) => {
            const result = await ops([name, "--help"]);
            expect(result.stderr).toBe("");
            expect(result.code).toBe(0);
            expect(result.stdout).toMatch(
                new RegExp(`^Usage: npm run ops -- \\[global options\\] ${name}\\b`),
            );
            expect(result.stdout).toContain("3 when the host lacks the");
            expect(dockerCalls()).toEqual([]);
        },
    );

    it("shows each command's own options in its help", async () => {
        const logs = await ops(["logs", "-h"]);
        expect(logs.stdout).toMatch(/-f, --follow +keep printing new lines/);
        expect(logs.stdout).toMatch(/-n, --tail <n\|all>/);
        const backup = await ops(["--stack", "test", "backup", "--help"]);
        expect(backup.stdout).toMatch(/-o, --output <dir>/);
    });

    it("no command, an unknown command or option: usage on stderr and exit 2", async () => {
        for (const [args, message] of [
            [[], "missing command"],
            [["frobnicate"], "unknown command frobnicate"],
            [["status", "--bogus"], "unknown option --bogus"],
            [["exec", "postgres"], "exec needs a service and a command"],
            [["logs", "--tail", "lots"], "--tail takes a number"],
            [["logs", "--since"], "argument missing"],
            [["status", "extra"], "status takes no argument extra"],
            [["backup", "--output", "x"], "--output needs --download"],
            [["restore"], "restore needs exactly one <file>"],
            [["--bogus", "status"], "unknown option --bogus"],
        ] as const) {
            const result = await ops(args);
            expect(result.code, args.join(" ")).toBe(2);
            expect(result.stderr).toContain(message);
            expect(result.stderr).toContain("Usage: npm run ops --");
        }
        expect(dockerCalls()).toEqual([]);
    });
});

describe("remote commands", () => {
    it("status runs compose ps, stats for the stack's containers, df and free in the stack dir", async () => {
        const result = await ops(["status"]);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(result.stdout).toContain("Up 5 minutes (healthy)");
        expect(result.stdout).toMatch(/== disk\n.*Filesystem/);
        expect(result.stdout).toMatch(/== memory\n.*total/);
        expect(dockerCalls()).toEqual([
            ["compose", "ps", "-a"],
            ["compose", "ps", "-q"],
            [
                "stats",
                "--no-stream",
                "--format",
                "table {{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}",
                "c0ffee01",
                "c0ffee02",
            ],
        ]);
        expect(readCalls(dockerLog).every((call) => call.cwd === stackDir)).toBe(true);
    });

    it("logs: the last 100 lines by default; --since, --follow and --tail pass through", async () => {
        expect((await ops(["logs", "postgres"])).code).toBe(0);
        expect(
            (await ops(["logs", "mpcabinet-picture-bot", "--since", "1h", "--follow"])).code,
        ).toBe(0);
        expect((await ops(["logs", "--tail", "all"])).code).toBe(0);
        expect(dockerCalls()).toEqual([
            ["compose", "logs", "--no-color", "--tail", "100", "postgres"],
            ["compose", "logs", "--no-color", "--since", "1h", "--follow", "mpcabinet-picture-bot"],
            ["compose", "logs", "--no-color", "--tail", "all"],
        ]);
    });

    it("takes short, long and inline flags, and global options after the command", async () => {
        expect((await ops(["logs", "postgres", "-n", "5", "--since=2h"])).code).toBe(0);
        expect((await ops(["logs", "-f", "--stack", "test", "postgres"])).code).toBe(0);
        expect(dockerCalls()).toEqual([
            ["compose", "logs", "--no-color", "--tail", "5", "--since", "2h", "postgres"],
            ["compose", "logs", "--no-color", "--tail", "100", "--follow", "postgres"],
        ]);
    });

    it("status also lists the images kept for a rollback", async () => {
        const result = await ops(["status"]);
        expect(result.stdout).toContain("== bot images kept for a rollback");
    });

    it("check runs the host's production checklist and passes its exit status on", async () => {
        const script = join(stackDir, "scripts/production-check.sh");
        writeScript(
            script,
            `echo "PASS  firewall  ufw is active"\necho "FAIL  backups  old"\nexit 1`,
        );
        try {
            const result = await ops(["check"]);
            expect(result.stdout).toBe("PASS  firewall  ufw is active\nFAIL  backups  old\n");
            expect(result.code).toBe(1);
        } finally {
            rmSync(script);
        }
        const missing = await ops(["check"]);
        expect(missing.code).toBe(3);
        expect(missing.stderr).toContain("scripts/production-check.sh is missing on the host");
    });

    it("exec passes hostile arguments through unchanged and runs nothing else", async () => {
        const marker = join(work, "pwned");
        const hostile = [
            "sh",
            "-c",
            `echo "$HOME"; touch ${marker}`,
            "two words",
            "it's",
            "$(touch " + marker + ")",
            "`touch " + marker + "`",
            ";",
            "|",
            "*",
            "",
            "--help",
            "new\nline",
        ];
        const result = await ops(["exec", "mpcabinet-picture-bot", ...hostile], {
            input: "piped data",
        });
        expect(result.code).toBe(0);
        expect(readCalls(dockerLog)).toEqual([
            {
                argv: ["compose", "exec", "-T", "mpcabinet-picture-bot", ...hostile],
                cwd: stackDir,
                stdin: "piped data",
            },
        ]);
        expect(result.stdout).toBe("exec stdin: piped data");
        expect(existsSync(marker)).toBe(false);
    });

    it("a hostile service name is refused before connecting", async () => {
        const marker = join(work, "pwned-service");
        for (const service of [`$(touch ${marker})`, "-T", "../etc", "a b", ""]) {
            const result = await ops(["exec", service, "true"]);
            expect(result.code, service).toBe(2);
            expect(result.stderr).toContain("invalid service name");
        }
        expect(dockerCalls()).toEqual([]);
        expect(existsSync(marker)).toBe(false);
    });

    it("the remote exit status becomes ops' exit status", async () => {
        writeFileSync(join(sshd.binDir, "docker-exit"), "7");
        const result = await ops(["exec", "postgres", "false"]);
        expect(result.code).toBe(7);
    });

    it("psql runs inside the postgres container over the socket, with no password anywhere", async () => {
        const result = await ops(["psql"], { input: "select count(*) from shared.users;\n" });
        expect(result.code).toBe(0);
        expect(await ops(["psql", "-c", "select 'x'"]).then((r) => r.code)).toBe(0);
        const calls = readCalls(dockerLog);
        const inner =
            'exec psql -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" "$@"';
        const prefix = [
            "compose",
            "exec",
            "-T",
            "postgres",
            "sh",
            "-c",
            inner,
            "psql",
            "-v",
            "ON_ERROR_STOP=1",
        ];
        expect(calls.map((call) => call.argv)).toEqual([prefix, [...prefix, "-c", "select 'x'"]]);
        expect(calls[0]!.stdin).toBe("select count(*) from shared.users;\n");
        expect(JSON.stringify(calls)).not.toMatch(/PGPASSWORD|password|-h /i);
    });

    it("ssh opens a shell in the stack dir", async () => {
        const result = await ops(["ssh"], { input: "pwd\necho shell-ok\n" });
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(`${stackDir}\nshell-ok\n`);
    });

    it("a missing stack dir says to deploy first (exit 3)", async () => {
        const dir = join(work, "project-nostack");
        writeStackConfig(dir, "test", baseConfig({ stackDir: "/nonexistent/telegram-ecosystem" }));
        const result = await ops(["status"], { cwd: dir });
        expect(result.code).toBe(3);
        expect(result.stderr).toContain(
            "/nonexistent/telegram-ecosystem does not exist on the host",
        );
        expect(dockerCalls()).toEqual([]);
    });
});

describe("backup and restore", () => {
    it("backup runs the host's backup script", async () => {
        const result = await ops(["backup"]);
        expect(result.code).toBe(0);
        expect(result.stdout).toContain("Backup completed");
        expect(readFileSync(scriptLog, "utf8")).toBe("backup \n");
    });

    it("backup --download copies the newest finished backup (0600, in a git-ignored dir)", async () => {
        const backups = join(stackDir, "backups");
        const old = join(backups, "backup_20261124_0300.sql.gz");
        const newest = join(backups, "backup_20261125_0300.sql.gz");
        writeFileSync(old, "old dump");
        writeFileSync(newest, Buffer.from([0, 1, 2, 255, 10, 13, 0]));
        writeFileSync(join(backups, "backup_20261126_0300.sql.gz.tmp"), "still being written");
        writeFileSync(join(backups, ".backup_20261126_0301.sql.gz"), "hidden");
        utimesSync(old, new Date("2026-11-24T03:00:00Z"), new Date("2026-11-24T03:00:00Z"));
        utimesSync(newest, new Date("2026-11-25T03:00:00Z"), new Date("2026-11-25T03:00:00Z"));
        const output = join(work, "downloads");
        const result = await ops(["backup", "--download", "--output", output]);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        const copy = join(output, "backup_20261125_0300.sql.gz");
        expect(readFileSync(copy)).toEqual(Buffer.from([0, 1, 2, 255, 10, 13, 0]));
        expect(statSync(copy).mode & 0o777).toBe(0o600);
        expect(readFileSync(join(output, ".gitignore"), "utf8")).toContain("*");
        expect(result.stdout).toContain(`Downloaded ${copy} (7 bytes)`);
    });

    it("restore refuses to run without --yes when there is no terminal to ask on", async () => {
        const result = await ops(["restore", "backup_20261125_0300.sql.gz"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain("pass --yes");
        expect(existsSync(scriptLog)).toBe(false);
    });

    it("restore --yes runs the host's restore script with the file, quoted", async () => {
        const file = "backup_2026 11 25; touch pwned.sql.gz";
        const result = await ops(["restore", file, "--yes"]);
        expect(result.code).toBe(0);
        expect(readFileSync(scriptLog, "utf8")).toBe(`restore --yes\nrestore ${file}\n`);
    });

    it("restore --upload sends a local dump first (0600) and restores that copy", async () => {
        const local = join(work, "laptop-dump.sql.gz");
        writeFileSync(local, "laptop dump bytes");
        const result = await ops(["restore", local, "--upload", "--yes"]);
        expect(result.code).toBe(0);
        const remote = join(stackDir, "backups", "laptop-dump.sql.gz");
        expect(readFileSync(remote, "utf8")).toBe("laptop dump bytes");
        expect(statSync(remote).mode & 0o777).toBe(0o600);
        expect(readFileSync(scriptLog, "utf8")).toBe(`restore --yes\nrestore ${remote}\n`);
    });

    it("missing backup/restore scripts on the host fail with a clear message (exit 3)", async () => {
        const bare = join(work, "bare stack");
        mkdirSync(bare, { recursive: true });
        const dir = join(work, "project-bare");
        writeStackConfig(dir, "test", baseConfig({ stackDir: bare }));
        for (const args of [["backup"], ["restore", "x.sql.gz", "--yes"]]) {
            const result = await ops(args, { cwd: dir });
            expect(result.code, args[0]).toBe(3);
            expect(result.stderr).toMatch(
                /scripts\/(backup|restore)-postgres\.sh is missing on the host/,
            );
        }
    });
});

describe("stack config and host key", () => {
    it("a wrong pinned host key fails at once with both fingerprints and runs nothing", async () => {
        const dir = join(work, "project-wrongkey");
        const keyDir = mkdtempSync(join(work, "key-"));
        spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(keyDir, "k")]);
        const wrongLine = readFileSync(join(keyDir, "k.pub"), "utf8").trim();
        writeStackConfig(dir, "test", baseConfig({ hostKey: wrongLine }));
        const acceptedBefore = readFileSync(sshd.logPath, "utf8").split(
            "Accepted publickey",
        ).length;
        const result = await ops(["exec", "postgres", "touch", "/tmp/should-not-run"], {
            cwd: dir,
        });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(
            `expected ssh-ed25519 ${fingerprint(parseHostKeyLine(wrongLine))}`,
        );
        expect(result.stderr).toContain(fingerprint(parseHostKeyLine(sshd.hostKeyPub)));
        expect(result.stderr).toContain("Was the server rebuilt?");
        expect(dockerCalls()).toEqual([]);
        expect(readFileSync(sshd.logPath, "utf8").split("Accepted publickey").length).toBe(
            acceptedBefore,
        );
    });

    it("takes what the config lacks from `pulumi stack output --json` when pulumi exists", async () => {
        const dir = join(work, "project-outputs");
        writeStackConfig(dir, "prod", { stackDir });
        const bin = mkdtempSync(join(work, "pulumi-bin-"));
        const log = join(bin, "pulumi.log");
        const { host, sshPort, hostKey } = baseConfig();
        installFakePulumi(bin, log, JSON.stringify({ host, sshPort: Number(sshPort), hostKey }));
        const result = await ops(["status"], { cwd: dir, env: { PATH: `${bin}:/usr/bin:/bin` } });
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(readCalls(log).map((call) => call.argv)).toEqual([
            ["stack", "output", "--json", "--stack", "prod"],
        ]);
        expect(dockerCalls()[0]).toEqual(["compose", "ps", "-a"]);
    });

    it("a config without hostKey points to trust-host", async () => {
        const dir = join(work, "project-nokey");
        const { hostKey: _unused, ...rest } = baseConfig();
        writeStackConfig(dir, "test", rest);
        const result = await ops(["status"], { cwd: dir });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`npm run trust-host -- 127.0.0.1 --stack test`);
    });

    it("chooses the stack from --stack, then PULUMI_STACK, and refuses to guess between several", async () => {
        const dir = join(work, "project-two");
        writeStackConfig(dir, "prod", baseConfig({ stackDir: "/nonexistent/prod" }));
        writeStackConfig(dir, "staging", baseConfig());
        const guess = await ops(["status"], { cwd: dir });
        expect(guess.code).toBe(1);
        expect(guess.stderr).toContain("several stacks (prod, staging)");
        const byEnv = await ops(["status"], { cwd: dir, env: { PULUMI_STACK: "prod" } });
        expect(byEnv.stderr).toContain("/nonexistent/prod does not exist");
        const byFlag = await ops(["--stack", "staging", "status"], {
            cwd: dir,
            env: { PULUMI_STACK: "prod" },
        });
        expect(byFlag.code).toBe(0);
    });

    it("--identity picks the key when there is no agent and no default key", async () => {
        const emptyHome = mkdtempSync(join(work, "home-"));
        const without = await ops(["status"], { env: { HOME: emptyHome } });
        expect(without.code).toBe(1);
        expect(without.stderr).toContain("no SSH credentials");
        const withKey = await ops(["--identity", sshd.clientKeyPath, "status"], {
            env: { HOME: emptyHome },
        });
        expect(withKey.code).toBe(0);
    });
});
