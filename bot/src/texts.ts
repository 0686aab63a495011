import { escapeHtml } from "./html.js";

/** Every Russian UI string. Dynamic parts are escaped here, so callers pass raw values. */

export type VideoState =
    | { kind: "searching"; percent: number }
    | { kind: "found" }
    | { kind: "not_found" }
    | { kind: "failed" };

const BLANK_LINE = "\u3164";

export const texts = {
    startAbout(inviteLink?: string): string {
        const lines = [
            "👋 <b>Добро пожаловать!</b>",
            "",
            "Этот бот — часть <b>экосистемы MPCabinet</b>: набора Telegram-ботов, которые " +
                "помогают менеджеру Wildberries в ежедневной работе.",
        ];
        if (inviteLink) {
            lines.push("", `🤝 Присоединяйтесь к нашему сообществу: ${escapeHtml(inviteLink)}`);
        }
        return lines.join("\n");
    },
    startHowTo:
        "📥 Чтобы скачать фото или видео товара, просто отправьте в чат:\n" +
        "• артикул товара (например, <code>12345678</code>)\n" +
        "• или ссылку на товар Wildberries",
    help:
        "<b>ℹ️ Как пользоваться ботом</b>\n\n" +
        "1. Отправьте артикул или ссылку на товар Wildberries\n" +
        "2. Выберите, что получить: фото, видео или всё сразу\n" +
        "3. Получите файлы\n\n" +
        "<b>Примеры:</b>\n" +
        "<code>12345678</code>\n" +
        "<code>https://www.wildberries.ru/catalog/12345678/detail.aspx</code>\n\n" +
        "Бот бесплатный и использует только общедоступные данные Wildberries.",
    invalidFormat:
        "❌ Неверный формат.\n\nОтправьте:\n" +
        "• артикул товара (например, <code>12345678</code>)\n" +
        "• или ссылку на товар Wildberries",
    rateLimited: (seconds: number) =>
        `⏳ Вы отправляете запросы слишком часто. Подождите ${seconds} сек., ` +
        "затем можно снова отправлять запросы.",
    callbackRateLimited: "⏳ Слишком часто. Подождите секунду.",
    staleButton: "Кнопка устарела или повреждена. Отправьте артикул ещё раз.",
    searching: (nm: string) => `🔍 Ищу товар ${nm}…`,
    card(nm: string, title: string | undefined, photoCount: number, video: VideoState): string {
        const lines = [`✅ Товар: ${nm} — найден!`];
        if (title) lines.push(`<b>${escapeHtml(title)}</b>`);
        lines.push("", `📷 Фото: ${photoCount} шт.`);
        if (video.kind === "searching") lines.push(`🎥 Видео: ⏳ ищем ${video.percent}%`);
        if (video.kind === "found") lines.push("🎥 Видео: есть ✅");
        if (video.kind === "not_found") {
            lines.push(
                "🎥 Видео: нет ⚠️ или недоступно",
                "Если вы уверены, что у карточки есть видео, попробуйте ещё раз позже.",
            );
        }
        lines.push(BLANK_LINE, `<a href="${productUrl(nm)}">&#8203;</a>`);
        return lines.join("\n");
    },
    noPhotos: (nm: string) => `❌ У товара ${nm} нет фото.`,
    notFound: (nm: string) =>
        `❌ Товар: ${nm} — не найден!\n\nПроверьте артикул и попробуйте снова.`,
    wbUnavailable: "❌ Не удалось получить данные от Wildberries. Попробуйте позже.",
    unexpected: "❌ Произошла ошибка. Попробуйте позже.",
    botError: "❌ Непредвиденная ошибка. Попробуйте позже или обратитесь к администратору.",
    loading: "⏳ Загружаю…",
    photoProgress: (sent: number, total: number) => `📷 Загружаю фото ${sent}/${total}…`,
    photosMissing: (missing: number, total: number) =>
        `⚠️ Не удалось загрузить ${missing} из ${total} фото: Wildberries их сейчас не отдаёт. ` +
        "Остальные отправлены.",
    videoQueued: (position: number) =>
        `⏳ Видео в очереди на обработку: вы ${position}-й. Дождитесь своей очереди.`,
    videoDownloading: (percent: number) => `⬇️ Скачивание: ${percent}%`,
    videoUploading: "📤 Отправка в Telegram…",
    videoNext: "🎥 Загружаю видео…",
    videoCaption: (nm: string, title?: string) => `Видео: ${escapeHtml(title ?? `Товар ${nm}`)}`,
    noPhotoFiles: "❌ У этого товара нет фотографий.",
    noVideoFile: "❌ У этого товара нет видео.",
    noMediaFiles: "❌ У этого товара нет медиафайлов.",
    mediaUnavailable: "❌ Не удалось загрузить медиа. Попробуйте позже.",
    downloadFailed: "❌ Произошла ошибка при загрузке. Попробуйте позже.",
    busy: "⏳ Подождите: ваша предыдущая загрузка ещё не закончилась.",
    shuttingDown: "⚠️ Бот перезапускается, загрузка прервана. Повторите запрос через минуту.",
    videoTooLarge: (limitMb: number) =>
        `❌ Видео слишком большое: больше ${limitMb} МБ, это предел для отправки в Telegram. ` +
        "Посмотрите его на сайте Wildberries.",
    ffmpegMissing: "❌ Сервер не поддерживает HLS-видео (не установлен ffmpeg).",
    conversionFailed: "❌ Ошибка конвертации видео. Попробуйте позже.",
    conversionTimeout: "❌ Видео обрабатывалось слишком долго. Попробуйте позже.",
    videoBroken: "❌ Видео на Wildberries недоступно или повреждено. Попробуйте позже.",
    videoFailedAfterPhotos: (reason: string) =>
        `⚠️ Фото отправлены, но видео отправить не удалось.\n${reason}`,
    newUser(user: { id: number; username?: string; firstName?: string }): string {
        const name = user.username ? `@${user.username}` : (user.firstName ?? "без имени");
        return [
            "<b>🆕 Новый пользователь запустил бота</b>",
            `👤 ${escapeHtml(name)}`,
            `🆔 <code>${user.id}</code>`,
        ].join("\n");
    },
    digest(date: string, s: DigestStats): string {
        const lines = [
            `<b>📊 Статистика за ${date}</b>`,
            "",
            "<b>👥 Пользователи</b>",
            `Новых: ${s.newUsers}`,
            `Всего: ${s.totalUsers}`,
            "",
            "<b>📈 Активность</b>",
            `Запросов артикулов: ${s.articleRequests}`,
            `Отправлено фото: ${s.photosSent}`,
            `Отправлено видео: ${s.videosSent}`,
        ];
        if (s.errors > 0) lines.push("", "<b>⚠️ Ошибки</b>", `Ошибок: ${s.errors}`);
        return lines.join("\n");
    },
};

export interface DigestStats {
    newUsers: number;
    totalUsers: number;
    returningUsers: number;
    articleRequests: number;
    photosSent: number;
    uniqueProducts: number;
    videosSent: number;
    errors: number;
}

export function productUrl(nm: string): string {
    return `https://www.wildberries.ru/catalog/${nm}/detail.aspx`;
}
