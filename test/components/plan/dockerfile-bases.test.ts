import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dockerfileBaseImages } from "../../../components/plan/dockerfile-bases";

describe("dockerfileBaseImages", () => {
    it("names the bot's base once, from its Dockerfile's ARG default", () => {
        const dockerfile = readFileSync(join(__dirname, "../../../bot/Dockerfile"), "utf8");
        expect(dockerfileBaseImages(dockerfile)).toEqual(["node:22.14.0-bookworm-slim"]);
    });

    it("lets a build arg override the ARG default, as `docker build --build-arg` does", () => {
        const dockerfile = "ARG NODE_IMAGE=node:22-slim\nFROM ${NODE_IMAGE}\n";
        expect(dockerfileBaseImages(dockerfile, { NODE_IMAGE: "e2e/node:local" })).toEqual([
            "e2e/node:local",
        ]);
    });

    it("leaves out earlier stages, scratch and FROMs whose variables have no value", () => {
        const dockerfile = [
            "# syntax=docker/dockerfile:1",
            "ARG UNSET",
            "FROM --platform=$BUILDPLATFORM golang:1.26 AS Build",
            "FROM build AS test",
            "FROM $UNSET",
            "FROM scratch",
            "from alpine:3.20 as final",
            "FROM ${MISSING:-debian:trixie-slim}",
        ].join("\n");
        expect(dockerfileBaseImages(dockerfile)).toEqual([
            "golang:1.26",
            "alpine:3.20",
            "debian:trixie-slim",
        ]);
    });

    it("joins continuation lines and reads quoted defaults; an ARG after FROM is not global", () => {
        const dockerfile = [
            'ARG REGISTRY="registry.example" \\',
            "    TAG=16.10-alpine",
            "FROM \\",
            "  ${REGISTRY}/postgres:${TAG}",
            "ARG LATER=node:22",
            "FROM ${LATER}",
        ].join("\n");
        expect(dockerfileBaseImages(dockerfile)).toEqual([
            "registry.example/postgres:16.10-alpine",
        ]);
    });
});
