import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeS3 } from "./helpers/fake-servers";
import { TestPostgres } from "./helpers/postgres";
import { holdLock, OpsSandbox } from "./helpers/sandbox";
import { createSeededDatabase, DB } from "./helpers/seed";

const BACKUP_NAME = /^backup_\d{8}_\d{6}\.dump$/;

describe("backup-postgres.sh against a real Postgres behind a fake docker", () => {
    const pg = new TestPostgres("telegram_admin");
    let sandbox: OpsSandbox;

    beforeAll(() => {
        pg.start();
        createSeededDatabase(pg);
    });
    afterAll(() => pg.stop());
    beforeEach(() => {
        sandbox = new OpsSandbox();
        Object.assign(sandbox.extraEnv, pg.fakeDockerEnv());
    });
    afterEach(() => sandbox.cleanup());

    const backupFiles = () => readdirSync(sandbox.backupDir).sort();

    it("writes one complete custom-format dump, root-only, and prints its path", async () => {
        const result = await sandbox.run(sandbox.script("backup-postgres.sh"));

        expect(result.code, result.stderr).toBe(0);
        const files = backupFiles();
        expect(files).toHaveLength(1);
        expect(files[0]).toMatch(BACKUP_NAME);
        const file = path.join(sandbox.backupDir, files[0]!);
        expect(result.stdout).toBe(`${file}\n`);
        expect(statSync(file).mode & 0o777).toBe(0o600);
        expect(statSync(sandbox.backupDir).mode & 0o777).toBe(0o700);
        const contents = execFileSync(path.join(pg.bin, "pg_restore"), ["--list", file]).toString();
        expect(contents).toContain("TABLE DATA shared users");
        expect(contents).toContain("TABLE DATA shared analytics_events");
        expect(contents).toContain("TABLE DATA mpcabinet requests");
        expect(sandbox.dockerCalls()).toContain(
            "compose -p telegram-ecosystem exec -T postgres pg_dump --format=custom " +
                `--username=telegram_admin --dbname=${DB}`,
        );
    });

    it("leaves no file at all and exits non-zero when pg_dump fails half-way", async () => {
        const old = path.join(sandbox.backupDir, "backup_20200101_030000.dump");
        execFileSync("install", ["-d", "-m", "0700", sandbox.backupDir]);
        writeFileSync(old, "PGDMP old backup");
        execFileSync("touch", ["-d", "30 days ago", old]);
        sandbox.failDocker("pg_dump");

        const result = await sandbox.run(sandbox.script("backup-postgres.sh"));

        expect(result.code).not.toBe(0);
        expect(result.stdout).toBe("");
        expect(result.stderr).toContain("pg_dump failed");
        // No partial file, and no retention either: old backups stay while dumps fail.
        expect(readdirSync(sandbox.backupDir)).toEqual(["backup_20200101_030000.dump"]);
    });

    it("refuses to run while another backup holds the lock", async () => {
        const holder = await holdLock(path.join(sandbox.paths.lockDir, "backup.lock"));
        try {
            const result = await sandbox.run(sandbox.script("backup-postgres.sh"));
            expect(result.code).not.toBe(0);
            expect(result.stderr).toContain("another backup or restore is running");
            expect(sandbox.dockerCalls()).toEqual([]);
        } finally {
            holder.release();
        }
    });

    describe("retention", () => {
        const day = 24 * 60 * 60 * 1000;

        function place(name: string, ageMs: number): void {
            const file = path.join(sandbox.backupDir, name);
            writeFileSync(file, "PGDMP");
            const when = new Date(Date.now() - ageMs);
            execFileSync("touch", ["-d", when.toISOString(), file]);
        }

        it("deletes exactly the complete backups older than the limit", async () => {
            sandbox.render({ backups: { retentionDays: 7 } });
            execFileSync("install", ["-d", "-m", "0700", sandbox.backupDir]);
            place("backup_20261101_030000.dump", 25 * day);
            place("backup_20261118_030000.dump", 8 * day);
            place("backup_20261119_020000.dump", 7 * day + 60 * 60 * 1000);
            place("backup_20261119_040000.dump", 7 * day - 60 * 60 * 1000);
            place("backup_20261125_030000.dump", 1 * day);
            // Not complete backups: an interrupted dump, and files that only look similar.
            place(".backup_20261001_030000.dump.partial", 50 * day);
            place("backup_20261001_030000.dump.partial", 50 * day);
            place("backup_manual.dump", 50 * day);
            place("backup_20261001_030000.sql.gz", 50 * day);
            place("notes.txt", 50 * day);

            const result = await sandbox.run(sandbox.script("backup-postgres.sh"));

            expect(result.code, result.stderr).toBe(0);
            const created = path.basename(result.stdout.trim());
            expect(backupFiles()).toEqual(
                [
                    ".backup_20261001_030000.dump.partial",
                    "backup_20261001_030000.dump.partial",
                    "backup_20261001_030000.sql.gz",
                    "backup_20261119_040000.dump",
                    "backup_20261125_030000.dump",
                    "backup_manual.dump",
                    created,
                    "notes.txt",
                ].sort(),
            );
            const inBackups = (name: string) => path.join(sandbox.backupDir, name);
            for (const gone of ["20261101_030000", "20261118_030000", "20261119_020000"]) {
                const file = inBackups(`backup_${gone}.dump`);
                expect(result.stderr).toContain(`retention: deleted ${file}`);
            }
            const stale = inBackups(".backup_20261001_030000.dump.partial");
            expect(result.stderr).toContain(`WARNING: ${stale} is left over`);
        });

        it("follows the configured number of days", async () => {
            sandbox.render({ backups: { retentionDays: 2 } });
            execFileSync("install", ["-d", "-m", "0700", sandbox.backupDir]);
            place("backup_20261123_030000.dump", 2 * day + 60 * 1000);
            place("backup_20261124_030000.dump", 2 * day - 60 * 1000);

            const result = await sandbox.run(sandbox.script("backup-postgres.sh"));

            expect(result.code, result.stderr).toBe(0);
            expect(backupFiles()).not.toContain("backup_20261123_030000.dump");
            expect(backupFiles()).toContain("backup_20261124_030000.dump");
        });
    });

    describe("off-site copy", () => {
        const keys = { accessKeyId: "TESTKEY0001", secretAccessKey: "test-secret-not-real/012345" };
        let s3: FakeS3;
        let endpoint: string;

        beforeEach(async () => {
            s3 = new FakeS3(keys.secretAccessKey);
            endpoint = await s3.start();
            writeFileSync(
                sandbox.paths.offsiteEnvFile,
                `S3_ENDPOINT=${endpoint}\nS3_BUCKET=team-backups\nS3_REGION=ru-1\n` +
                    `S3_PREFIX=telegram-ecosystem/\nS3_ACCESS_KEY_ID=${keys.accessKeyId}\n` +
                    `S3_SECRET_ACCESS_KEY=${keys.secretAccessKey}\n`,
                { mode: 0o600 },
            );
        });
        afterEach(() => s3.stop());

        it("uploads the new backup with a valid SigV4 signature", async () => {
            const result = await sandbox.run(sandbox.script("backup-postgres.sh"));

            expect(result.code, result.stderr).toBe(0);
            const [name] = backupFiles();
            expect(s3.objects).toHaveLength(1);
            const [stored] = s3.objects;
            expect(stored!.key).toBe(`/team-backups/telegram-ecosystem/${name}`);
            expect(stored!.signatureValid).toBe(true);
            expect(stored!.accessKeyId).toBe(keys.accessKeyId);
            expect(stored!.region).toBe("ru-1");
            const local = readFileSync(path.join(sandbox.backupDir, name!));
            expect(stored!.body.equals(local)).toBe(true);
            expect(result.stderr).not.toContain(keys.secretAccessKey);
        });

        it("fails visibly but keeps the local backup when the bucket refuses", async () => {
            s3.failWith = 403;

            const result = await sandbox.run(sandbox.script("backup-postgres.sh"));

            expect(result.code).not.toBe(0);
            expect(result.stderr).toContain("off-site copy");
            const [name] = backupFiles();
            expect(name).toMatch(BACKUP_NAME);
            expect(result.stdout).toBe(`${path.join(sandbox.backupDir, name!)}\n`);
        });

        it("is skipped when no off-site env file exists", async () => {
            execFileSync("rm", [sandbox.paths.offsiteEnvFile]);
            const result = await sandbox.run(sandbox.script("backup-postgres.sh"));
            expect(result.code, result.stderr).toBe(0);
            expect(s3.objects).toHaveLength(0);
            expect(existsSync(sandbox.paths.offsiteEnvFile)).toBe(false);
        });
    });
});
