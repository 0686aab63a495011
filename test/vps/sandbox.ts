import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { provision, Provisioned } from "./provision";
import { cleanupStaleRuns, defaultRelease, parseRelease, SshStartMode, TestVps } from "./vps";

/**
 * `npm run sandbox`: boots the test VPS, provisions it with the real plan, prints how to get in,
 * and tears everything down on Ctrl-C. Options: `--release trixie|bookworm` (Debian 13, the
 * default, or 12), `--ssh-service` (sshd as a classic ssh.service instead of ssh.socket as on
 * Ubuntu 24.04), `--cleanup` (only remove test VPSes left behind by killed runs).
 */

const started = Date.now();
const log = (line: string) =>
    console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
let vps: TestVps | undefined;
let stopping = false;

async function stop(code: number): Promise<never> {
    if (!stopping) {
        stopping = true;
        console.log("\nTearing the sandbox down ...");
        try {
            await (vps ? vps.destroy() : cleanupStaleRuns(log, process.pid));
        } catch (error) {
            console.error(`ERROR: teardown failed: ${(error as Error).message}`);
            code = 1;
        }
    }
    process.exit(code);
}

function printWelcome(box: TestVps, result: Provisioned): void {
    const cwd = process.cwd();
    const knownHosts = join(box.runDir, "known_hosts");
    const sshConfig = join(box.runDir, "ssh_config");
    writeFileSync(knownHosts, `${box.target.host} ${result.config.hostKey ?? ""}\n`);
    writeFileSync(
        sshConfig,
        [
            "Host vps",
            `    HostName ${box.target.host}`,
            "    User root",
            `    IdentityFile ${join(box.runDir, "id_ed25519")}`,
            "    IdentitiesOnly yes",
            `    UserKnownHostsFile ${knownHosts}`,
            "",
        ].join("\n"),
    );
    const ssh = `ssh -F ${relative(cwd, sshConfig)} vps`;
    const changed = result.records.filter((record) => record.outcome === "CHANGED").length;
    const stackDir = result.config.stackDir;
    const { user, db } = result.config.postgres;
    console.log(`
The sandbox VPS is provisioned: ${result.records.length} steps, ${changed} changed, in ${((Date.now() - started) / 1000).toFixed(0)} s.
It is a ${releaseName[box.release]} systemd-nspawn container at ${box.target.host} (network namespace ${box.network.netns}),
with sshd started by ${box.sshMode === "socket" ? "ssh.socket" : "ssh.service"}.

  Log in as root with the sandbox key (password login is now refused, as on the hardened server):
    ${ssh}
  The fresh server's root password, to see it refused: ${box.rootPassword}

  The stack runs in ${stackDir}, compose project telegram-ecosystem, with no published ports:
    ${ssh} 'cd ${stackDir} && docker compose ps'
    ${ssh} 'cd ${stackDir} && docker compose logs --tail 20 mpcabinet-picture-bot'
    ${ssh} -t 'cd ${stackDir} && docker compose exec postgres psql -U ${user} -d ${db}'
  The Bot API server is a local fake (no Telegram here); the bot token and secrets are fake.

  From outside, as an attacker would see it:  nmap -Pn -p- ${box.target.host};  ssh-audit ${box.target.host}

Press Ctrl-C to stop the VPS and remove its namespace, NAT rule and files.`);
}

const releaseName = { trixie: "Debian 13 (trixie)", bookworm: "Debian 12 (bookworm)" } as const;
const usage = "usage: npm run sandbox -- [--release trixie|bookworm] [--ssh-service] | --cleanup";

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const unknown = args.filter(
        (arg, i) =>
            !["--cleanup", "--ssh-service", "--release"].includes(arg) &&
            args[i - 1] !== "--release",
    );
    if (unknown.length > 0) throw new Error(`unknown option ${unknown.join(" ")}\n${usage}`);
    if (args.includes("--cleanup")) {
        await cleanupStaleRuns(log);
        return;
    }
    const sshMode: SshStartMode = args.includes("--ssh-service") ? "service" : "socket";
    const releaseIndex = args.indexOf("--release");
    const release =
        releaseIndex === -1 ? defaultRelease() : parseRelease(args[releaseIndex + 1] ?? "");
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.on(signal, () => void stop(130));
    }
    vps = await TestVps.create({ sshMode, release, log });
    const result = await provision(vps, log);
    printWelcome(vps, result);
    setInterval(() => undefined, 60_000);
}

main().catch(async (error: Error) => {
    console.error(`ERROR: ${error.message}`);
    if (vps) console.error(`VPS console (last lines):\n${vps.consoleTail(15)}`);
    await stop(1);
});
