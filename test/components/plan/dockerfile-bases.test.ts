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

    it("expands an ARG default that uses an earlier ARG, and both forms of default words", () => {
        const dockerfile = [
            "ARG VERSION=22.14.0",
            "ARG NODE=node:${VERSION}-bookworm-slim",
            "ARG EMPTY=",
            "FROM ${NODE} AS one",
            "FROM ${UNSET_BASE-debian:bookworm-slim} AS two",
            "FROM ${EMPTY:-alpine:3.20}",
        ].join("\n");
        expect(dockerfileBaseImages(dockerfile)).toEqual([
            "node:22.14.0-bookworm-slim",
            "debian:bookworm-slim",
            "alpine:3.20",
        ]);
    });

    it("leaves out, never fails on, what it cannot read as one image reference", () => {
        // A parser directive changes the escape character; a heredoc body is not instructions.
        const dockerfile = [
            "# escape=`",
            "FROM node:22 `",
            "  AS build",
            "FROM ${BROKEN",
            "FROM $EMPTY_WORD-x",
            "RUN <<EOF",
            "FROM debian:trixie",
            "EOF",
            "FROM alpine:3.20 \\",
            "",
            "  AS last",
        ].join("\n");
        const bases = dockerfileBaseImages(dockerfile);
        expect(bases).toContain("alpine:3.20");
        for (const base of bases) expect(base).toMatch(/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/);
    });
});
