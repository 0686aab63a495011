import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { cliSandbox, type CliSandbox } from "../helpers/pulumi-cli";
import { FakeTimewebApi } from "../helpers/fake-timeweb-api";
import { OPERATOR_KEY } from "../helpers/timeweb-fixtures";

// `npm run timeweb -- plan` as the operator runs it: a real child process reading a project
// directory's Pulumi.<stack>.yaml (written by hand, or by the real Pulumi CLI from
// toolchain/install-pulumi.sh), talking to the fake API on loopback.

const ROOT = resolve(__dirname, "../..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const MAIN = join(ROOT, "scripts", "timeweb", "main.ts");

let fake: FakeTimewebApi;
let pulumiProject: CliSandbox;
const dirs: string[] = [];

beforeAll(async () => {
    fake = await new FakeTimewebApi().start();
    // The committed project and prod stack, configured with the README's commands.
    pulumiProject = cliSandbox("plan-test-passphrase");
    for (const command of [
        "pulumi stack select --create prod",
        "pulumi config rm host",
        `pulumi config set --path 'operatorKeys[0]' '${OPERATOR_KEY}'`,
        "pulumi config set --path timeweb.createServer true",
        "pulumi config set --path timeweb.preset.minDiskMb 20480",
        `pulumi config set --secret timeweb:token '${fake.token}'`,
    ])
        pulumiProject.run(command);
}, 120_000);
afterAll(async () => {
    await fake.close();
    pulumiProject?.remove();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
    fake.requests.length = 0;
});

/** A project directory with Pulumi.yaml and Pulumi.test.yaml holding this `timeweb` block. */
function project(timeweb: Record<string, unknown>): string {
    const dir = mkdtempSync(join(tmpdir(), "timeweb-plan-"));
    dirs.push(dir);
    writeFileSync(join(dir, "Pulumi.yaml"), "name: telegram-ecosystem\nruntime: nodejs\n");
    const config = {
        "telegram-ecosystem:operatorKeys": [OPERATOR_KEY],
        "telegram-ecosystem:timeweb": timeweb,
    };
    writeFileSync(join(dir, "Pulumi.test.yaml"), stringify({ config }));
    return dir;
}

/** PATH with node (tsx needs it) and no `pulumi`. */
const NODE_ONLY_PATH = dirname(process.execPath);

interface Result {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

function plan(
    dir: string,
    env: NodeJS.ProcessEnv,
    stack: string[] = ["--stack", "test"],
): Promise<Result> {
    return new Promise((done) => {
        execFile(
            TSX,
            [MAIN, "plan", ...stack, "--endpoint", fake.url],
            { cwd: dir, env: { PATH: NODE_ONLY_PATH, HOME: dir, ...env }, timeout: 60_000 },
            (error, stdout, stderr) =>
                done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
    });
}

describe("npm run timeweb -- plan", () => {
    it("is a script of the project, as the README runs it", async () => {
        const { stdout } = await promisify(execFile)(
            "npm",
            ["run", "--silent", "timeweb", "--", "plan", "--help"],
            { cwd: ROOT, timeout: 60_000 },
        );
        expect(stdout).toMatch(/^Usage: npm run timeweb -- plan /);
    });

    it("shows the preset, OS image, location and monthly price, creating nothing", async () => {
        const dir = project({ createServer: true, preset: { minDiskMb: 20480 } });
        const result = await plan(dir, { TIMEWEB_TOKEN: fake.token });
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(result.stdout).toContain("Timeweb server for stack test (nothing has been created)");
        expect(result.stdout).toContain("location:      ru-3, availability zone msk-1");
        expect(result.stdout).toContain("OS image:      ubuntu 24.04 (os_id 99)");
        expect(result.stdout).toContain(
            'preset:        2449 "Cloud MSK 30": 1 vCPU, 2048 MB RAM, 30720 MB disk',
        );
        expect(result.stdout).toContain("monthly price: 657 RUB");
        expect(result.stdout).not.toContain(fake.token);
        expect(fake.requests.length).toBeGreaterThan(0);
        expect(fake.requests.every((request) => request.method === "GET")).toBe(true);
        expect(fake.requests[0]?.authorization).toBe(`Bearer ${fake.token}`);
    });

    it("shows the configurator of the requested line and says where its price is", async () => {
        const dir = project({
            createServer: true,
            configuration: { cpu: 2, ramMb: 4096, diskMb: 20480, type: "premium" },
        });
        const result = await plan(dir, { TIMEWEB_TOKEN: fake.token });
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(
            "configurator:  23 (premium line): 2 vCPU, 4096 MB RAM, 20480 MB disk, 0 GPU",
        );
        expect(result.stdout).toContain("the catalogue lists none for configurator servers");
    });

    it("reads the stack's secret timeweb:token through the real `pulumi config get`", async () => {
        const result = await plan(
            pulumiProject.projectDir,
            {
                ...pulumiProject.env,
                TIMEWEB_TOKEN: "",
            },
            ["--stack", "prod"],
        );
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(fake.requests[0]?.authorization).toBe(`Bearer ${fake.token}`);
        expect(result.stdout).toContain("Timeweb server for stack prod");
        expect(result.stdout).not.toContain("createServer is false");
        expect(result.stdout).toContain('2449 "Cloud MSK 30"');
        expect(result.stdout).toContain("657 RUB");
        expect(result.stdout).not.toContain(fake.token);
    });

    it("says how to store the token when the stack has none", async () => {
        pulumiProject.run("pulumi config rm timeweb:token");
        const result = await plan(pulumiProject.projectDir, pulumiProject.env, ["--stack", "prod"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("stack prod has no Timeweb API token");
        expect(result.stderr).toContain(
            "pulumi config set --secret timeweb:token <token> --stack prod",
        );
        expect(fake.requests).toHaveLength(0);
    });

    it("names the fix when there is no token", async () => {
        const result = await plan(project({ createServer: true }), {});
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("TIMEWEB_TOKEN");
        expect(result.stderr).toContain("pulumi config set --secret timeweb:token <token>");
        expect(fake.requests).toHaveLength(0);
    });

    it("reports the stack config's problems and the catalogue's answer with their fixes", async () => {
        const badConfig = await plan(project({ createServer: true, preset: { cpu: 0 } }), {
            TIMEWEB_TOKEN: fake.token,
        });
        expect(badConfig.code).toBe(1);
        expect(badConfig.stderr).toContain("timeweb.preset.cpu");
        const noMatch = await plan(project({ preset: { cpu: 8, ramMb: 2048 } }), {
            TIMEWEB_TOKEN: fake.token,
        });
        expect(noMatch.code).toBe(1);
        expect(noMatch.stderr).toContain("No Timeweb preset in location ru-3");
        expect(noMatch.stderr).toContain("Change timeweb.preset");
        const rejected = await plan(project({}), { TIMEWEB_TOKEN: "not-the-token" });
        expect(rejected.code).toBe(1);
        expect(rejected.stderr).toContain("HTTP 401");
        expect(rejected.stderr).toContain("pulumi config set --secret timeweb:token");
        expect(rejected.stderr).not.toContain("not-the-token");
    });
});
