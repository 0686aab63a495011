#!/bin/sh
# Test VPS only: Debian 12 has no Docker Compose v2 package, so `docker compose ...` is handed to
# docker-compose v1 through this CLI plugin.
if [ "${1:-}" = "docker-cli-plugin-metadata" ]; then
    echo '{"SchemaVersion":"0.1.0","Vendor":"telegram-vps test VPS","Version":"v1.29.2-shim","ShortDescription":"docker-compose v1 behind docker compose"}'
    exit 0
fi
shift # the plugin name, "compose"
exec /usr/bin/docker-compose "$@"
