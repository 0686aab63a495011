import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planProvisioning } from "../../components/plan/plan";
import { runtimeFor, stackConfig } from "../helpers/stack-fixtures";

// install-docker.sh with docker.source distro, against fake apt-cache/apt-get/docker/systemctl:
// which packages it picks from what the distribution offers. The end-to-end tests install for
// real on Debian 13 and 12; these cover Ubuntu 24.04's package names, which CI cannot reach.

const config = stackConfig();
const plan = planProvisioning(config, runtimeFor(config));
const script = plan.find((step) => step.id === "docker-install")?.script ?? "";
const scratch = mkdtempSync(path.join(tmpdir(), "install-docker-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** apt-cache policy answers from FAKE_CANDIDATES ("name=version ..."); apt-get logs its calls. */
const fakes: Record<string, string> = {
    "apt-cache": `#!/bin/bash
[[ "$1" == policy ]] || exit 64
for entry in $FAKE_CANDIDATES; do
    if [[ "\${entry%%=*}" == "$2" ]]; then printf '%s:\\n  Candidate: %s\\n' "$2" "\${entry#*=}"; exit 0; fi
done
printf '%s:\\n  Candidate: (none)\\n' "$2"
`,
    "apt-get": `#!/bin/bash
echo "apt-get $*" >>"$FAKE_STATE/calls.log"
if [[ " $* " == *" install "* ]]; then touch "$FAKE_STATE/installed"; fi
`,
    docker: `#!/bin/bash
[[ -e "$FAKE_STATE/installed" ]] || exit 1
echo "Docker version 26.1.5"
`,
    systemctl: `#!/bin/bash
echo "systemctl $*" >>"$FAKE_STATE/calls.log"
`,
};

function install(candidates: string) {
    const dir = mkdtempSync(path.join(scratch, "run-"));
    for (const [name, body] of Object.entries(fakes)) {
        writeFileSync(path.join(dir, name), body);
        chmodSync(path.join(dir, name), 0o755);
    }
    // stdin not a socket: bash would take itself for an sshd child and read ~/.bashrc.
    const result = spawnSync("bash", ["-c", script], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: { PATH: `${dir}:/usr/bin:/bin`, FAKE_STATE: dir, FAKE_CANDIDATES: candidates },
    });
    const log = path.join(dir, "calls.log");
    const calls = existsSync(log) ? readFileSync(log, "utf8") : "";
    const installLine = calls.split("\n").find((line) => line.includes(" install "));
    const packages = installLine?.split(" --no-install-recommends ")[1]?.split(" ") ?? [];
    return { ...result, packages };
}

describe("install-docker.sh (docker.source distro)", () => {
    it("on Ubuntu 24.04 takes docker.io, the Compose v2 plugin package and buildx", () => {
        const result = install(
            "docker.io=24.0.7 docker-compose-v2=2.24.6 docker-compose=1.29.2 docker-buildx=0.12.1",
        );
        expect(result.stderr).toBe("");
        expect(result.packages).toEqual(["docker.io", "docker-compose-v2", "docker-buildx"]);
        expect(result.stdout.trimEnd().split("\n").at(-1)).toBe("CHANGED");
    });

    it("on Debian 13 also takes the separate CLI and the 2.x docker-compose package", () => {
        const result = install(
            "docker.io=26.1.5 docker-cli=26.1.5 docker-compose=2.26.1-4 docker-buildx=0.13.1",
        );
        expect(result.packages).toEqual([
            "docker.io", "docker-cli", "docker-compose", "docker-buildx",
        ]);
    });

    it("on Debian 12 leaves docker-compose v1 alone (no plugin) and has no buildx to take", () => {
        const result = install("docker.io=20.10.24 docker-compose=1.29.2-3");
        expect(result.packages).toEqual(["docker.io"]);
    });
});
