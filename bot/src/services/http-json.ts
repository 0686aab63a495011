/** A JSON call to one of the ecosystem's internal services, with a timeout. */
export class ServiceHttpError extends Error {
    constructor(
        readonly status: number,
        message: string,
    ) {
        super(message);
        this.name = "ServiceHttpError";
    }
}

export async function callJson<T>(
    url: string,
    options: { method?: string; body?: unknown; timeoutMs: number; bearer?: string },
): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    const res = await fetch(url, {
        method: options.method ?? "GET",
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: "error",
    });
    const text = await res.text();
    if (!res.ok) throw new ServiceHttpError(res.status, `${url} answered ${res.status}`);
    return (text ? JSON.parse(text) : undefined) as T;
}
