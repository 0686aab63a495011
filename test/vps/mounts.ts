/** Read-only binds from the CI machine into the test VPS (systemd-nspawn --bind-ro). */

/** The cached image root file systems, for `docker import` (build/vps/rootfs-<key>/). */
export const imageRootfsMount = "/mnt/e2e-rootfs";
/** The per-run image build contexts: test/vps/images, this machine's node and npm, bot/. */
export const shareMount = "/mnt/e2e-share";
