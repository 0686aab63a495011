#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/prune-images.sh.
#
# Runs after `docker compose up` brought every service up healthy with its new images. stdin: one
# "<bot> <image> [<base>...]" line per bot: the image its service runs now, then the images its
# Dockerfile builds FROM. Per bot it records that image as "current" and the image it replaced as
# "previous" in KEPT_DIR/<bot>, so a rollback needs no rebuild. Then it removes every image that no
# container uses (running or stopped), that is no bot's current or previous image, no bot's base
# in the image store (BuildKit records no parent: only the Dockerfile says the base is in use) and
# no parent layer of one of those, newest first, and trims BuildKit's build cache to
# BUILD_CACHE_KEEP_MB. A removal Docker refuses is reported and skipped:
# a deploy that succeeded does not fail here. Prints CHANGED or UNCHANGED as its last line.
set -euo pipefail

# --- rendered variables ---
readonly KEPT_DIR={{ kept_dir }}
readonly BUILD_CACHE_KEEP_MB={{ build_cache_keep_mb }}
# --- end of rendered variables ---

changed=false
declare -A keep=()
declare -A bots=()

die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

short() {
    local id="${1#sha256:}"
    printf '%s\n' "${id:0:12}"
}

# The "current" or "previous" image id recorded for a bot (empty when none).
recorded() {
    local file="$KEPT_DIR/$1"
    [[ -f "$file" ]] || return 0
    sed -n "s/^$2 //p" "$file"
}

record_bot() {
    local bot="$1" image="$2" id current previous wanted
    id="$(docker image inspect --format '{{.Id}}' "$image")" ||
        die "the image $image of $bot does not exist on this host"
    current="$(recorded "$bot" current)"
    previous="$(recorded "$bot" previous)"
    if [[ "$current" != "$id" ]]; then previous="$current"; fi
    if [[ -n "$previous" ]] && ! docker image inspect "$previous" >/dev/null 2>&1; then
        printf 'WARNING: the previous image %s of %s is gone; no rollback image\n' \
            "$(short "$previous")" "$bot" >&2
        previous=""
    fi
    wanted="current $id${previous:+$'\n'previous $previous}"
    if [[ ! -f "$KEPT_DIR/$bot" || "$(cat "$KEPT_DIR/$bot")" != "$wanted" ]]; then
        printf '%s\n' "$wanted" >"$KEPT_DIR/.$bot.tmp"
        mv -f -- "$KEPT_DIR/.$bot.tmp" "$KEPT_DIR/$bot"
        echo "==> $bot runs $(short "$id"); rollback image: $(short "${previous:-none yet}")"
        changed=true
    fi
    keep["$id"]=1
    if [[ -n "$previous" ]]; then keep["$previous"]=1; fi
}

# A base not in the image store has nothing to keep here: one that BuildKit pulled itself is in
# its build cache, trimmed below.
keep_bases() {
    local base id
    for base in "$@"; do
        id="$(docker image inspect --format '{{.Id}}' "$base" 2>/dev/null)" || continue
        keep["$id"]=1
    done
}

read_current_images() {
    local bot image bases
    install -d -m 0700 "$KEPT_DIR"
    while read -r bot image bases; do
        [[ -n "$bot" ]] || continue
        [[ "$bot" =~ ^[a-z][a-z0-9-]*$ && -n "$image" ]] || die "bad stdin line: '$bot $image'"
        bots["$bot"]=1
        record_bot "$bot" "$image"
        read -ra bases <<<"$bases"
        keep_bases "${bases[@]}"
    done
}

# Records of bots that are no longer in the stack go; their images are then unused.
forget_removed_bots() {
    local file
    for file in "$KEPT_DIR"/*; do
        [[ -f "$file" && -z "${bots[$(basename "$file")]:-}" ]] || continue
        rm -f -- "$file"
        echo "==> forgot the images of $(basename "$file"), which is no longer a bot of the stack"
        changed=true
    done
}

keep_container_images() {
    local containers image
    containers="$(docker ps -aq --no-trunc)"
    [[ -n "$containers" ]] || return 0
    # shellcheck disable=SC2086 # one id per word
    for image in $(docker inspect --format '{{.Image}}' $containers); do keep["$image"]=1; done
}

# Images built by the classic builder name their base as Parent; removing it would fail anyway.
keep_parents() {
    local id parent
    for id in "${!keep[@]}"; do
        parent="$(docker image inspect --format '{{.Parent}}' "$id" 2>/dev/null || true)"
        while [[ -n "$parent" && -z "${keep[$parent]:-}" ]]; do
            keep["$parent"]=1
            parent="$(docker image inspect --format '{{.Parent}}' "$parent" 2>/dev/null || true)"
        done
    done
}

remove_unused_images() {
    local ids created id tags refs output
    ids="$(docker image ls --quiet --no-trunc | sort -u)"
    [[ -n "$ids" ]] || return 0
    # Newest first, so that an image goes before the image it was built from.
    # shellcheck disable=SC2086 # one id per word
    while read -r created id; do
        [[ -z "${keep[$id]:-}" ]] || continue
        tags="$(docker image inspect --format '{{range .RepoTags}}{{.}} {{end}}' "$id")"
        read -ra refs <<<"$tags"
        if ((${#refs[@]} == 0)); then refs=("$id"); fi
        if output="$(docker image rm "${refs[@]}" 2>&1)"; then
            echo "==> removed image $(short "$id") ${tags:-(untagged)}, created $created"
            changed=true
        else
            printf 'WARNING: kept image %s: %s\n' "$(short "$id")" "$output" >&2
        fi
    done < <(docker image inspect --format '{{.Created}} {{.Id}}' $ids | sort -r)
}

prune_build_cache() {
    local args=(builder prune --all --force) output reclaimed
    if ((BUILD_CACHE_KEEP_MB > 0)); then
        # Newer CLIs call the limit --reserved-space; older ones only know --keep-storage.
        if docker builder prune --help 2>/dev/null | grep -q -- --reserved-space; then
            args+=(--reserved-space "${BUILD_CACHE_KEEP_MB}mb")
        else
            args+=(--keep-storage "${BUILD_CACHE_KEEP_MB}mb")
        fi
    fi
    if ! output="$(docker "${args[@]}" 2>&1)"; then
        printf 'WARNING: docker %s failed; the build cache stays as it is:\n%s\n' \
            "${args[*]}" "$output" >&2
        return 0
    fi
    reclaimed="$(sed -n -E 's/^Total( reclaimed space)?:[[:space:]]*//p' <<<"$output" | tail -n 1)"
    if [[ -n "$reclaimed" && "$reclaimed" != 0B ]]; then
        echo "==> build cache: reclaimed $reclaimed (keeping up to ${BUILD_CACHE_KEEP_MB} MB)"
        changed=true
    fi
}

main() {
    umask 077
    read_current_images
    forget_removed_bots
    keep_container_images
    keep_parents
    remove_unused_images
    prune_build_cache
    if [[ "$changed" == true ]]; then echo CHANGED; else echo UNCHANGED; fi
}

main "$@"
