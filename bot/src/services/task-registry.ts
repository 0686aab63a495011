import type { Logger } from "pino";

interface Task {
    name: string;
    controller: AbortController;
    done: Promise<void>;
}

/**
 * Background work the bot started and must be able to stop: card video searches and download
 * jobs. Shutdown aborts every task's signal and waits for them (bounded), so ffmpeg is killed and
 * temp files are removed by the tasks' own cleanup.
 */
export class TaskRegistry {
    private readonly tasks = new Set<Task>();
    private closed = false;

    constructor(private readonly log: Logger) {}

    get size(): number {
        return this.tasks.size;
    }

    get isClosed(): boolean {
        return this.closed;
    }

    spawn(name: string, work: (signal: AbortSignal) => Promise<void>): Task {
        const controller = new AbortController();
        if (this.closed) controller.abort();
        const task: Task = { name, controller, done: Promise.resolve() };
        task.done = work(controller.signal)
            .catch((error: unknown) => this.log.error({ err: error, task: name }, "task failed"))
            .finally(() => this.tasks.delete(task));
        this.tasks.add(task);
        return task;
    }

    async shutdown(timeoutMs: number): Promise<void> {
        this.closed = true;
        for (const task of this.tasks) task.controller.abort();
        const all = Promise.allSettled([...this.tasks].map((t) => t.done));
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<"late">((resolve) => {
            timer = setTimeout(() => resolve("late"), timeoutMs);
        });
        const outcome = await Promise.race([all, late]);
        clearTimeout(timer);
        if (outcome === "late") {
            this.log.warn({ tasks: [...this.tasks].map((t) => t.name) }, "tasks still running");
        }
    }
}
