import pino, { type DestinationStream, type Logger } from "pino";

/**
 * JSON logs to stdout. The bot token can appear in URLs inside error messages; every written line
 * has it replaced, whatever path it took into the log.
 */
export function createLogger(
    level: string,
    secrets: string[] = [],
    destination?: DestinationStream,
): Logger {
    const hidden = secrets.filter((s) => s.length >= 8);
    const options: pino.LoggerOptions = {
        level,
        base: { service: "mpcabinet-picture-bot" },
        timestamp: pino.stdTimeFunctions.isoTime,
        hooks: {
            streamWrite: (line) =>
                hidden.reduce((text, secret) => text.split(secret).join("[redacted]"), line),
        },
    };
    return destination ? pino(options, destination) : pino(options);
}
