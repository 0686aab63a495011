import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TestPostgres } from "./helpers/postgres";
import { BOT, holdLock, inFlockOn, OpsSandbox } from "./helpers/sandbox";
import { createSeededDatabase, databases, DB, tableFingerprints } from "./helpers/seed";

const STACK = "compose -p telegram-ecosystem";

describe("restore-postgres.sh against a real Postgres behind a fake docker", () => {
    const pg = new TestPostgres("telegram_admin");
    let sandbox: OpsSandbox;
    let original: string[];

    beforeAll(() => pg.start());
    afterAll(() => pg.stop());
    beforeEach(() => {
        createSeededDatabase(pg);
        original = tableFingerprints(pg);
        sandbox = new OpsSandbox();
        Object.assign(sandbox.extraEnv, pg.fakeDockerEnv());
    });
    afterEach(() => sandbox.cleanup());

    async function backup(): Promise<string> {
        const result = await sandbox.run(sandbox.script("backup-postgres.sh"));
        expect(result.code, result.stderr).toBe(0);
        return result.stdout.trim();
    }

    function destroyData(): void {
        pg.sql(
            DB,
            `DELETE FROM shared.analytics_events WHERE id % 2 = 0;
            UPDATE shared.users SET username = 'overwritten';
            DROP SCHEMA mpcabinet CASCADE;
            CREATE TABLE shared.created_after_backup (x int);`,
        );
    }

    it("brings back every table exactly (rows and checksums) and restarts the bots", async () => {
        const file = await backup();
        destroyData();
        expect(tableFingerprints(pg)).not.toEqual(original);
        sandbox.clearCalls();

        const script = sandbox.script("restore-postgres.sh");
        const result = await sandbox.run(script, ["--yes", path.basename(file)]);

        expect(result.code, result.stderr).toBe(0);
        expect(tableFingerprints(pg)).toEqual(original);
        expect(original).toHaveLength(3);
        expect(databases(pg)).toEqual(["postgres", DB]);
        const calls = sandbox.dockerCalls();
        const stop = calls.indexOf(`${STACK} stop ${BOT}`);
        const restore = calls.findIndex((call) => call.includes("pg_restore --exit-on-error"));
        const start = calls.indexOf(`${STACK} up -d ${BOT}`);
        expect(stop).toBeGreaterThan(-1);
        expect(restore).toBeGreaterThan(stop);
        expect(start).toBeGreaterThan(restore);
        // Only the bots are stopped: postgres and the Bot API keep running.
        expect(calls.filter((call) => / (stop|up -d) /.test(call))).toEqual([
            `${STACK} stop ${BOT}`,
            `${STACK} up -d ${BOT}`,
        ]);
        expect(sandbox.service(BOT)).toBe("running healthy");
    });

    it("restores a plain .sql.gz dump, the format of the old cron backups", async () => {
        const file = path.join(sandbox.backupDir, "backup_20260101_030000.sql.gz");
        execFileSync("install", ["-d", "-m", "0700", sandbox.backupDir]);
        const dump = execFileSync(path.join(pg.bin, "pg_dump"), [
            "--host",
            pg.socketDir,
            "--port",
            pg.port,
            "--username",
            "telegram_admin",
            DB,
        ]);
        writeFileSync(file, execFileSync("gzip", ["-c"], { input: dump }));
        destroyData();

        const result = await sandbox.run(sandbox.script("restore-postgres.sh"), ["--yes", file]);

        expect(result.code, result.stderr).toBe(0);
        expect(tableFingerprints(pg)).toEqual(original);
    });

    it("leaves the database untouched and restarts the bots when the restore fails", async () => {
        const file = await backup();
        destroyData();
        const damaged = tableFingerprints(pg);
        sandbox.failDocker("pg_restore");

        const result = await sandbox.run(sandbox.script("restore-postgres.sh"), ["--yes", file]);

        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain(`database ${DB} was not changed`);
        expect(tableFingerprints(pg)).toEqual(damaged);
        expect(databases(pg)).toEqual(["postgres", DB]);
        expect(sandbox.dockerCalls()).toContain(`${STACK} up -d ${BOT}`);
        expect(sandbox.service(BOT)).toBe("running healthy");
    });

    it("refuses without --yes when there is no terminal, and changes nothing", async () => {
        const file = await backup();
        destroyData();
        const damaged = tableFingerprints(pg);
        sandbox.clearCalls();

        const result = await sandbox.run(sandbox.script("restore-postgres.sh"), [file]);

        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain("pass --yes");
        expect(tableFingerprints(pg)).toEqual(damaged);
        expect(sandbox.dockerCalls()).toEqual([]);
    });

    it("rejects a corrupt archive before stopping anything", async () => {
        execFileSync("install", ["-d", "-m", "0700", sandbox.backupDir]);
        const file = path.join(sandbox.backupDir, "backup_20260101_030000.dump");
        writeFileSync(file, "PGDMP but not really an archive");

        const result = await sandbox.run(sandbox.script("restore-postgres.sh"), ["--yes", file]);

        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain("not a readable pg_dump archive");
        expect(sandbox.dockerCalls().some((call) => / stop /.test(call))).toBe(false);
        expect(tableFingerprints(pg)).toEqual(original);
    });

    it("lists the backups newest first, without temporary files", async () => {
        execFileSync("install", ["-d", "-m", "0700", sandbox.backupDir]);
        const place = (name: string, when: string) => {
            writeFileSync(path.join(sandbox.backupDir, name), "PGDMP");
            execFileSync("touch", ["-d", when, path.join(sandbox.backupDir, name)]);
        };
        place("backup_20261120_030000.dump", "2026-11-20 03:00");
        place("backup_20261122_030000.dump", "2026-11-22 03:00");
        place("backup_20260101_030000.sql.gz", "2026-01-01 03:00");
        place(".backup_20261123_030000.dump.partial", "2026-11-23 03:00");

        const listing = await sandbox.run(sandbox.script("restore-postgres.sh"), ["--list"]);

        expect(listing.code, listing.stderr).toBe(0);
        const names = listing.stdout
            .trim()
            .split("\n")
            .map((line) => line.split(/\s+/).at(-1));
        expect(names).toEqual([
            "backup_20261122_030000.dump",
            "backup_20261120_030000.dump",
            "backup_20260101_030000.sql.gz",
        ]);
    });

    it.each([
        ["the health monitor or another restore", "maintenance.lock"],
        ["a backup", "backup.lock"],
    ])("waits while %s holds %s, then restores", async (_holder, lock) => {
        const file = await backup();
        destroyData();
        const damaged = tableFingerprints(pg);
        sandbox.clearCalls();
        const lockFile = path.join(sandbox.paths.lockDir, lock);
        const holder = await holdLock(lockFile);
        try {
            const restore = sandbox.start(sandbox.script("restore-postgres.sh"), ["--yes", file]);
            let finished = false;
            const settle = () => (finished = true);
            void restore.result.then(settle, settle);
            for (let poll = 0; poll < 500 && !finished; poll++) {
                if (inFlockOn(restore.pid, lockFile)) break;
                await sleep(20);
            }

            expect(finished, "the restore ended while the lock was held").toBe(false);
            expect(inFlockOn(restore.pid, lockFile), `not waiting in flock on ${lock}`).toBe(true);
            const writes = sandbox.dockerCalls().filter((call) => !call.includes(" --list"));
            expect(writes.filter((call) => / stop |pg_restore|psql/.test(call))).toEqual([]);
            expect(tableFingerprints(pg)).toEqual(damaged);

            holder.release();
            const result = await restore.result;

            expect(result.code, result.stderr).toBe(0);
            expect(tableFingerprints(pg)).toEqual(original);
            expect(sandbox.dockerCalls()).toContain(`${STACK} stop ${BOT}`);
            expect(sandbox.service(BOT)).toBe("running healthy");
        } finally {
            holder.release();
        }
    });
});
