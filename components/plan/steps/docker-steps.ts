import type { StackConfig } from "../../config/config";
import { render } from "../render";
import { makeStep, type Step } from "../step";

/** Fingerprint of Docker's apt signing key (Docker's install guide, "Install using the apt repository"). */
export const DOCKER_APT_KEY_FINGERPRINT = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88";
export const DAEMON_JSON = "/etc/docker/daemon.json";

export function renderDaemonJson(config: StackConfig): string {
    return render("etc/docker/daemon.json", {
        log_max_size: config.docker.logMaxSize,
        log_max_files: String(config.docker.logMaxFiles),
    });
}

/** 6. Docker engine + compose plugin, then daemon.json (restart only when it changed). */
export function planDockerEngine(config: StackConfig): Step[] {
    return [
        makeStep({
            id: "docker-install",
            description: `Docker Engine and docker compose are installed (${config.docker.source})`,
            script: render("scripts/install-docker.sh", {
                docker_source: config.docker.source,
                docker_apt_repository: config.docker.aptRepository ?? "",
                docker_key_fingerprint: DOCKER_APT_KEY_FINGERPRINT,
            }),
            secret: false,
        }),
        makeStep({
            id: "docker-daemon",
            description: "Docker rotates container logs and keeps containers up across restarts",
            script: render("scripts/configure-docker-daemon.sh", { daemon_json: DAEMON_JSON }),
            stdin: renderDaemonJson(config),
            secret: false,
        }),
    ];
}
