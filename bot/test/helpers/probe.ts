import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface ProbeInfo {
    streams: Array<{ codec_name: string }>;
    format: { duration: string; format_name: string };
}

/** Real ffprobe on the uploaded bytes. */
export function probe(data: Buffer): ProbeInfo {
    const dir = mkdtempSync(join(tmpdir(), "probe-"));
    try {
        const file = join(dir, "upload.mp4");
        writeFileSync(file, data);
        const out = execFileSync("ffprobe", [
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
            file,
        ]);
        return JSON.parse(out.toString("utf8")) as ProbeInfo;
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
