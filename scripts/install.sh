#!/usr/bin/env bash
# Installs experiment-advisor as a system service on a Debian 12 host booted with systemd:
# the binary, the unit, the user (sysusers.d), the spool (tmpfiles.d), the journal catalog and
# the configuration (an existing /etc/experiment-advisor/experiment-advisor.yaml is kept; the
# new default goes beside it as .new). Then enables and starts the service.
#   ADVISOR_BINARY=/path/to/experiment-advisor  skips the build (used by the systemd e2e test)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_packages

binary="${ADVISOR_BINARY:-}"
if [ -z "$binary" ]; then
    ensure_swift
    # The Swift runtime linked in, so the service does not depend on where the toolchain lives.
    swift build -c release --static-swift-stdlib --product experiment-advisor
    binary="$(swift build -c release --static-swift-stdlib --show-bin-path)/experiment-advisor"
fi

install -D -m 0755 "$binary" /usr/local/bin/experiment-advisor
install -D -m 0644 systemd/experiment-advisor.service /etc/systemd/system/experiment-advisor.service
install -D -m 0644 systemd/experiment-advisor.sysusers /usr/lib/sysusers.d/experiment-advisor.conf
install -D -m 0644 systemd/experiment-advisor.tmpfiles /usr/lib/tmpfiles.d/experiment-advisor.conf
install -D -m 0644 systemd/experiment-advisor.catalog /usr/lib/systemd/catalog/experiment-advisor.catalog
install -D -m 0644 README.md /usr/share/doc/experiment-advisor/README.md
config=/etc/experiment-advisor/experiment-advisor.yaml
if [ -e "$config" ]; then
    install -D -m 0644 config/experiment-advisor.yaml "$config.new"
    echo "kept $config; the new default is $config.new" >&2
else
    install -D -m 0644 config/experiment-advisor.yaml "$config"
fi
/usr/local/bin/experiment-advisor check-config "$config"

systemd-sysusers /usr/lib/sysusers.d/experiment-advisor.conf
systemd-tmpfiles --create /usr/lib/tmpfiles.d/experiment-advisor.conf
journalctl --update-catalog

if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable --now experiment-advisor.service
    systemctl --no-pager status experiment-advisor.service | head -n 5
else
    echo "installed; systemd is not running here, so the service was not started" >&2
fi
