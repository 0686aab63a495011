/** What test/engine/timeweb-lab.ts and its test share. */

export const API_PORT = 18080;

export interface LabState {
    readonly token: string;
    readonly servers: { id: number; name: string }[];
    readonly floatingIps: { id: string; ip: string; resourceId: number | null }[];
    readonly sshKeys: number[];
    readonly firewallGroups: string[];
    readonly requests: { method: string; path: string }[];
}
