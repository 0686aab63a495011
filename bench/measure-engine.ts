import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cleanup } from "./cleanup.js";
import { notMeasured, type Row } from "./report.js";
import { describeSpread, spread } from "./stats.js";

/*
 * Measurements 9 and 10: the Pulumi toolchain's Node.js language host (built from its Go module
 * by toolchain/install-pulumi.sh) and the real engine on the Timeweb component's test project.
 */

const HOST_PACKAGE = "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs";
const TRIALS = 3;

function hostVersion(root: string): string {
    const goMod = readFileSync(join(root, "toolchain", "pulumi-language-nodejs", "go.mod"), "utf8");
    return /^require github\.com\/pulumi\/pulumi\/sdk\/v3 v(\S+)$/m.exec(goMod)?.[1] ?? "?";
}

function timed(run: () => void): number {
    const started = Date.now();
    run();
    return Date.now() - started;
}

function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
}

/** `go build` of the language host into a throwaway file, with the given Go caches. */
function buildHost(root: string, env: NodeJS.ProcessEnv, out: string): void {
    const go = process.env.PATH?.split(":").some((dir) => dir.endsWith("/go/bin"))
        ? "go"
        : "/usr/local/go/bin/go";
    execFileSync(go, ["build", "-mod=readonly", "-trimpath", "-o", out, HOST_PACKAGE], {
        cwd: join(root, "toolchain", "pulumi-language-nodejs"),
        env: { ...process.env, ...env },
        stdio: "ignore",
    });
}

const HOST_NAME = (version: string) =>
    `Language host (pulumi-language-nodejs v${version}) build: cold (empty Go module and build ` +
    "caches, downloads included), warm (Go caches filled), and a cached toolchain/install-pulumi.sh";

/** Row 10. The cold build downloads the modules and takes minutes: only with --with-toolchain. */
export function measureLanguageHostBuild(root: string, withCold: boolean): Row {
    const version = hostVersion(root);
    const work = mkdtempSync(join(tmpdir(), "bench-langhost-"));
    try {
        const cold = withCold
            ? timed(() =>
                  buildHost(
                      root,
                      {
                          GOMODCACHE: join(work, "gomod"),
                          GOCACHE: join(work, "gocache"),
                          GOFLAGS: "-modcacherw",
                      },
                      join(work, "cold"),
                  ),
              )
            : undefined;
        buildHost(root, {}, join(work, "prime"));
        const warm = Array.from({ length: TRIALS }, (_, i) =>
            timed(() => buildHost(root, {}, join(work, `warm-${i}`))),
        );
        const install = Array.from({ length: TRIALS }, () =>
            timed(() =>
                execFileSync("bash", [join(root, "toolchain", "install-pulumi.sh")], {
                    stdio: "ignore",
                }),
            ),
        );
        return {
            id: "10",
            name: HOST_NAME(version),
            ours:
                `cold ${cold === undefined ? "not measured (--with-toolchain)" : seconds(cold)}; ` +
                `warm ${describeSpread(warm, seconds)}; install-pulumi.sh cached ` +
                describeSpread(install, seconds),
            baseline: "—",
            ratio: "—",
            target: "— (informational)",
            met: null,
            data: { coldMs: cold, warmMs: spread(warm), installCachedMs: spread(install) },
        };
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

const ENGINE_NAME =
    "Real engine on the Timeweb test project (fake API in its own network namespace): " +
    "`pulumi preview` and a no-op `pulumi up --expect-no-changes`";
const ENGINE_TARGET = "each < 30 s";

/** Row 11 (needs root: the lab runs under `unshare --net`): only with --with-engine. */
export async function measureTimewebEngine(
    root: string,
    enabled: boolean,
    cleanup: Cleanup,
): Promise<Row> {
    if (!enabled) {
        return notMeasured(
            "11",
            ENGINE_NAME,
            ENGINE_TARGET,
            "needs root: `npm run bench -- --with-engine` (or BENCH_WITH_ENGINE=1)",
        );
    }
    const { Lab, copyProject, engineEnv, stackSetup } =
        await import("../test/engine/timeweb-engine.js");
    const { API_PORT } = await import("../test/engine/timeweb-lab-protocol.js");
    const { pulumiBinDir } = await import("../test/helpers/pulumi-cli.js");
    const { OPERATOR_KEY } = await import("../test/helpers/timeweb-fixtures.js");
    const work = mkdtempSync(join(tmpdir(), "bench-engine-"));
    cleanup.add("real-engine bench directory", () =>
        rmSync(work, { recursive: true, force: true }),
    );
    const { lab } = await Lab.start(root, (line) => console.log(`[engine] ${line}`));
    cleanup.add("Timeweb lab", () => lab.stop());
    const env = engineEnv(work, pulumiBinDir(), "bench-passphrase");
    const project = copyProject(root, join(work, "project"));
    const run = async (command: string) => {
        const started = Date.now();
        const result = await lab.run(command, project, env);
        if (result.code !== 0) throw new Error(`${command}: exit ${result.code}\n${result.output}`);
        return Date.now() - started;
    };
    await lab.ask("api-up");
    const { token } = await lab.ask<{ token: string }>("state");
    for (const command of stackSetup("bench", API_PORT, token, OPERATOR_KEY)) await run(command);
    const firstUp = await run("pulumi up --yes");
    const preview: number[] = [];
    const noop: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
        preview.push(await run("pulumi preview --expect-no-changes"));
        noop.push(await run("pulumi up --yes --expect-no-changes"));
    }
    const met = [...preview, ...noop].every((ms) => ms < 30_000);
    return {
        id: "11",
        name: ENGINE_NAME,
        ours:
            `preview ${describeSpread(preview, seconds)}; no-op up ` +
            `${describeSpread(noop, seconds)}; first up ${seconds(firstUp)}`,
        baseline: "—",
        ratio: "—",
        target: ENGINE_TARGET,
        met,
        data: { previewMs: spread(preview), noopUpMs: spread(noop), firstUpMs: firstUp },
    };
}
