/** A small TTL map with a size bound (oldest entries go first). */
export class MemoryCache<V> {
    private readonly entries = new Map<string, { value: V; expires: number }>();

    constructor(private readonly maxEntries = 5000) {}

    get(key: string): V | undefined {
        const entry = this.entries.get(key);
        if (!entry) return undefined;
        if (entry.expires <= Date.now()) {
            this.entries.delete(key);
            return undefined;
        }
        return entry.value;
    }

    set(key: string, value: V, ttlMs: number): void {
        this.entries.delete(key);
        this.entries.set(key, { value, expires: Date.now() + ttlMs });
        while (this.entries.size > this.maxEntries) {
            this.entries.delete(this.entries.keys().next().value!);
        }
    }

    delete(key: string): void {
        this.entries.delete(key);
    }

    get size(): number {
        return this.entries.size;
    }
}
