/** Who did something and what: shared by storage/analytics.ts and ecosystem-services.ts. */
export interface UserInfo {
    id: number;
    username?: string;
    firstName?: string;
    lastName?: string;
}

export type EventType = "user_start" | "article_request" | "photo_sent" | "video_sent" | "error";
