/**
 * Everything the bench starts (servers, processes, databases, temp dirs) registers its stop here;
 * `run` stops them in reverse order and keeps going when one of them fails.
 */
export class Cleanup {
    private readonly tasks: Array<{ what: string; stop: () => Promise<void> | void }> = [];

    add(what: string, stop: () => Promise<void> | void): void {
        this.tasks.push({ what, stop });
    }

    async run(): Promise<void> {
        for (let task = this.tasks.pop(); task; task = this.tasks.pop()) {
            try {
                await task.stop();
            } catch (error) {
                console.error(`cleanup of ${task.what} failed: ${(error as Error).message}`);
            }
        }
    }
}
