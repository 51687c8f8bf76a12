# Sourced by the project's scripts: installs the Debian packages the build, the tests and the
# daemon need, but only those missing, so a second run costs nothing.
#   libsystemd-dev   sd_journal_sendv / sd_notify headers and pkg-config file (CSystemd)
#   pkg-config       lets SwiftPM find libsystemd
#   systemd          journald, journalctl, systemd-analyze, sysusers, tmpfiles (tests)
#   libxgboost-dev   XGBoost's C API for the outcome models (CXGBoost)
#   zlib1g-dev       gzip data drops (CZlib)
#   libsqlite3-dev   the ledger's SQLite (GRDB links the system library)
#   strace           the durability test reads the spool's fsyncs from the system calls

ADVISOR_PACKAGES=(libsystemd-dev libxgboost-dev zlib1g-dev libsqlite3-dev pkg-config systemd strace)

ensure_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        if [ -x /opt/swift/usr/bin/swift ]; then
            export PATH="/opt/swift/usr/bin:$PATH"
        else
            echo "swift is not on PATH: install the Swift 6.3 toolchain (swift.org) first" >&2
            return 1
        fi
    fi
}

ensure_packages() {
    local missing=()
    for package in "${ADVISOR_PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing missing system packages: ${missing[*]}" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "run as root or install: ${missing[*]}" >&2; return 1; }
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Starts a standalone systemd-journald when none is listening, so tests write to and read from
# a real journal. On a machine booted with systemd the running journald is used as it is.
ensure_journald() {
    local socket=/run/systemd/journal/socket
    if [ -S "$socket" ] && pgrep -x systemd-journal >/dev/null 2>&1; then
        return 0
    fi
    if [ -d /run/systemd/system ]; then
        echo "systemd is running but journald is not: start it with 'systemctl start systemd-journald'" >&2
        return 1
    fi
    echo "starting a standalone systemd-journald (no journald was running)" >&2
    mkdir -p /run/systemd/journal /run/log/journal
    setsid /lib/systemd/systemd-journald </dev/null >/var/tmp/experiment-advisor-journald.log 2>&1 &
    for _ in $(seq 50); do
        [ -S "$socket" ] && return 0
        sleep 0.1
    done
    echo "systemd-journald did not create $socket; see /var/tmp/experiment-advisor-journald.log" >&2
    return 1
}

# Builds one product of the benchmarks package in release mode and prints the folder it is in
# (what every benchmarks/*.sh does before it runs its binary).
# The Spark job's runtime (spark/advisor_job.py): Debian's Java 17 and the PyPI packages it imports
# (pandas and pyarrow for xgboost.spark and mapInPandas, scikit-learn for xgboost.spark). Every
# package installed is checked, so a machine missing only one of them gets it.
ensure_spark() {
    command -v java >/dev/null 2>&1 || ensure_packages openjdk-17-jre-headless
    python3 -c 'import pyspark, xgboost, sklearn, pyarrow, yaml, pandas, numpy' 2>/dev/null \
        || pip install --quiet pyspark xgboost scikit-learn pyarrow pyyaml pandas numpy
}

benchmark_binary() {
    ensure_swift
    ensure_packages
    swift build --package-path benchmarks -c release --product "$1" >/dev/null
    swift build --package-path benchmarks -c release --show-bin-path
}
