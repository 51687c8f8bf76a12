#!/usr/bin/env bash
# End-to-end test of experiment-advisor under a REAL systemd, on a host whose PID 1 is not
# systemd (CI machines, this VM), without touching the host.
#
#   bash scripts/e2e-systemd.sh [BINARY]     (default BINARY: .build/debug/experiment-advisor)
#
# It boots systemd as PID 1 of a throw-away container, installs the daemon there with
# scripts/install.sh (unit, sysusers.d, tmpfiles.d, catalog, config), and checks as a systemd
# user would: start (Type=notify), hardening in force, a dropped proposal -> report + journal
# entry (EXPERIMENT_ID, _SYSTEMD_UNIT), a bad one -> rejected/ at PRIORITY=4, journalctl -x
# shows the catalog text, reload keeps a good config and survives a broken one, watchdog pings
# arrive, stop is clean. Prints "N passed, M failed"; exit status 0 only if all passed and the
# host is unchanged.
#
# Isolation (the recipe verified in the shared systemd-e2e notes, rewritten for this project):
#   * The container root is an overlay (nspawn --volatile=overlay) whose lower layer is a
#     read-only, NON-recursive bind of the host / made in a private mount namespace, and whose
#     upper layer is a tmpfs: nothing written inside reaches the host disk, except the spool
#     directory bound from the run directory.
#   * /run and /tmp get private tmpfs mounts in that namespace (nspawn writes its bookkeeping
#     there; host /run and /tmp are on disk here).
#   * Units that act on the shared kernel (sysctl, modules, binfmt, clock, random seed, tmpfiles
#     cleaning, ...) are masked on the init command line; the boot target is basic.target.
#   * The container runs in cgroups we create and remove; its PID 1 is found by NSpid and every
#     later nsenter/kill re-checks its namespace inodes, so a recycled PID is never touched.
#   * Commands run inside through nsenter with kernel-level capabilities dropped (setpriv),
#     because nsenter bypasses nspawn's own capability drop and seccomp filter.
#   * A detached guard kills the container if this script dies without tearing down.
#   * Before and after: hashes of /etc files, the mount table, sysctls, binfmt_misc, /run/systemd,
#     the hostname, the host journald's PID, plus canary files in /tmp and /var/tmp (one
#     back-dated 40 days, which an age-based tmpfiles clean would remove). Any change fails.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BINARY=$(readlink -f "${1:-.build/debug/experiment-advisor}")
ROOT=${E2E_ROOT:-/var/tmp/experiment-advisor-e2e}
ID=advisor-e2e-$(date +%Y%m%d%H%M%S)-$$
RUN=$ROOT/$ID
UNIT=experiment-advisor.service
PASS=0 FAIL=0

log()  { printf '[%s] %s\n' "$(date +%T.%3N)" "$*" >&2; }
die()  { log "FATAL: $*"; exit 2; }
check() {  # check "what" command... : records PASS/FAIL, never exits
    local what=$1; shift
    if "$@"; then PASS=$((PASS + 1)); log "PASS: $what"; else FAIL=$((FAIL + 1)); log "FAIL: $what"; fi
}
wait_for() {  # wait_for SECONDS command...
    local i n=$(($1 * 10)); shift
    for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
    return 1
}

MASKED=(
    systemd-sysctl.service systemd-modules-load.service kmod-static-nodes.service
    systemd-binfmt.service proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount
    systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service systemd-tmpfiles-clean.service
    systemd-tmpfiles-clean.timer systemd-remount-fs.service systemd-sysusers.service
    systemd-firstboot.service systemd-machine-id-commit.service systemd-random-seed.service
    systemd-pstore.service systemd-timesyncd.service systemd-repart.service systemd-pcrphase.service
    systemd-pcrphase-sysinit.service systemd-udevd.service systemd-udev-trigger.service
    systemd-udevd-control.socket systemd-udevd-kernel.socket systemd-hwdb-update.service
    dev-hugepages.mount dev-mqueue.mount sys-kernel-config.mount sys-kernel-debug.mount
    sys-kernel-tracing.mount sys-fs-fuse-connections.mount apt-daily.timer apt-daily-upgrade.timer
    dpkg-db-backup.timer e2scrub_all.timer fstrim.timer man-db.timer logrotate.timer
)

# ------------------------------------------------------------------ preflight
preflight() {
    [ "$(id -u)" = 0 ] || die "must run as root"
    [ -x "$BINARY" ] || die "no binary at $BINARY (run swift build first)"
    [ -d /run/systemd/system ] && die "this host runs systemd: test with systemd-nspawn or a VM directly"
    local tool
    for tool in systemd-nspawn unshare nsenter setpriv findmnt python3; do
        command -v "$tool" >/dev/null || die "missing $tool (systemd-nspawn: apt-get install systemd-container)"
    done
    grep -qw overlay /proc/filesystems || die "the kernel has no overlayfs"
    case "$ROOT" in /tmp | /tmp/* | /run | /run/*) die "E2E_ROOT must not be under /tmp or /run" ;; esac
    # A crash inside would run the host's core_pattern helper on the host.
    [ "$(head -c1 /proc/sys/kernel/core_pattern)" = "|" ] && die "kernel.core_pattern pipes to a host helper"
    CGROUPS=()
    if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
        CGROUPS=(/sys/fs/cgroup)
    else
        [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] && CGROUPS+=(/sys/fs/cgroup/unified)
        [ -e /sys/fs/cgroup/systemd/cgroup.procs ] && CGROUPS+=(/sys/fs/cgroup/systemd)
    fi
    [ ${#CGROUPS[@]} -gt 0 ] || die "no cgroup2 or name=systemd hierarchy"
}

# ------------------------------------------------------------------ host state
snapshot() {  # snapshot DIR
    local out=$1 me p
    mkdir -p "$out"
    sha256sum /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/machine-id /etc/hostname /etc/hosts \
        /etc/nsswitch.conf /etc/fstab > "$out/etc" 2>/dev/null
    cut -d' ' -f1-5,9 /proc/self/mountinfo | sort > "$out/mounts"
    sysctl -a 2>/dev/null | grep -Ev '^(fs\.(dentry-state|inode-nr|inode-state|file-nr|quota\.|aio-nr)|kernel\.(random\.|ns_last_pid|pty\.nr|tainted)|net\.netfilter\.nf_conntrack_count|vm\.(stat_|nr_)|net\.ipv[46]\.route\.gc|user\.)' \
        | sort > "$out/sysctl"
    ls -A /proc/sys/fs/binfmt_misc/ > "$out/binfmt" 2>&1
    find /run/systemd -maxdepth 2 2>/dev/null | sort > "$out/run-systemd"
    hostname > "$out/hostname"
    me=$(readlink /proc/self/ns/pid)
    for p in /proc/[0-9]*; do
        case "$(readlink "$p/exe" 2>/dev/null)" in
        */systemd-journald*) [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$me" ] && echo "${p#/proc/}" ;;
        esac
    done | sort -n > "$out/journald"
    find /etc/systemd/system /usr/local/bin /usr/lib/sysusers.d /usr/lib/tmpfiles.d /etc/experiment-advisor \
        /var/spool /var/log/journal -maxdepth 2 -printf '%p %M %u\n' 2>/dev/null | grep -v "^$ROOT" | sort > "$out/paths"
}

plant_canaries() {
    CANARIES=(/tmp/$ID.canary /tmp/$ID.canary.old /var/tmp/$ID.canary.old)
    local c
    for c in "${CANARIES[@]}"; do head -c 48 /dev/urandom | base64 > "$c"; done
    touch -d '40 days ago' /tmp/$ID.canary.old /var/tmp/$ID.canary.old
    sha256sum "${CANARIES[@]}" > "$RUN/canaries"
}

# ------------------------------------------------------------------ the container
boot() {
    mkdir -p "$RUN"/{lower,spool,snap,repo} || die "cannot create $RUN"
    # The payload is copied under the run directory: the clone may live under /tmp, which the
    # private namespace below covers with a tmpfs.
    cp -a "$REPO/scripts" "$REPO/systemd" "$REPO/config" "$REPO/README.md" "$RUN/repo/" || die "cannot copy the payload"
    install -m 0755 "$BINARY" "$RUN/experiment-advisor" || die "cannot copy $BINARY"
    python3 -c 'import uuid; print(uuid.uuid4().hex)' > "$RUN/machine-id"
    snapshot "$RUN/snap/before"
    plant_canaries
    local d args=(systemd.unit=basic.target systemd.log_color=0 systemd.show_status=auto) unit
    for unit in "${MASKED[@]}"; do args+=("systemd.mask=$unit"); done
    for d in "${CGROUPS[@]}"; do mkdir "$d/$ID" || die "cannot create cgroup $d/$ID"; done
    # shellcheck disable=SC2016
    local inner='
        set -e
        run=$1 repo=$2 binary=$3 id=$4; shift 4
        mount --bind / "$run/lower"
        mount -o remount,bind,ro "$run/lower"
        mount -t tmpfs -o mode=0755,size=64m advisor-e2e-run /run
        mount -t tmpfs -o mode=1777,size=256m advisor-e2e-tmp /tmp
        exec systemd-nspawn --quiet --directory="$run/lower" --volatile=overlay \
            --register=no --keep-unit --link-journal=no --machine="$id" \
            --private-network --resolv-conf=off --timezone=off --console=read-only \
            --drop-capability=CAP_MKNOD,CAP_AUDIT_CONTROL,CAP_LINUX_IMMUTABLE \
            --system-call-filter=bpf \
            --bind-ro="$run/machine-id:/etc/machine-id" \
            --bind-ro="$repo:/e2e/repo" \
            --bind-ro="$binary:/e2e/experiment-advisor" \
            --bind="$run/spool:/var/spool/experiment-advisor" \
            --boot -- "$@"'
    (
        for d in "${CGROUPS[@]}"; do echo "$BASHPID" > "$d/$ID/cgroup.procs"; done
        export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1  # pure cgroup2 inside, like a stock Debian 12 host
        exec unshare --mount --propagation private -- /bin/bash -c "$inner" inner "$RUN" "$RUN/repo" "$RUN/experiment-advisor" "$ID" "${args[@]}"
    ) < /dev/null > "$RUN/console.log" 2>&1 &
    NSPAWN=$!
    local deadline=$(($(date +%s) + 60)) p cg=${CGROUPS[0]}/$ID/payload
    LEADER=
    while [ -z "$LEADER" ]; do
        kill -0 "$NSPAWN" 2>/dev/null || { cat "$RUN/console.log" >&2; die "nspawn exited during boot"; }
        [ "$(date +%s)" -lt "$deadline" ] || die "no container init after 60 s"
        for p in $(cat "$cg/cgroup.procs" "$cg/init.scope/cgroup.procs" 2>/dev/null); do
            [ "$(awk '/^NSpid:/{print $NF}' /proc/$p/status 2>/dev/null)" = 1 ] && LEADER=$p && break
        done
        [ -n "$LEADER" ] || sleep 0.05
    done
    MNTNS=$(readlink /proc/$LEADER/ns/mnt)
    PIDNS=$(readlink /proc/$LEADER/ns/pid)
    [ "$MNTNS" != "$(readlink /proc/self/ns/mnt)" ] && [ "$PIDNS" != "$(readlink /proc/self/ns/pid)" ] \
        || die "the container shares our namespaces"
    start_guard
    until inside test -S /run/systemd/private; do
        [ "$(date +%s)" -lt "$deadline" ] || die "no /run/systemd/private after 60 s"
        sleep 0.05
    done
    local state
    state=$(inside systemctl is-system-running --wait 2>&1)
    log "container PID 1 = host pid $LEADER, system $state"
    case "$state" in running | degraded) ;; *) die "boot ended '$state'" ;; esac
}

# A command inside the container, with capabilities that act on the shared kernel dropped.
DROP_CAPS=-sys_module,-sys_time,-sys_boot,-sys_rawio,-mknod,-sys_admin,-net_admin,-sys_pacct,-syslog,-mac_admin,-mac_override,-audit_control,-wake_alarm,-block_suspend,-sys_tty_config,-linux_immutable,-bpf,-perfmon,-checkpoint_restore
inside() {
    [ -n "${LEADER:-}" ] && [ "$(readlink /proc/$LEADER/ns/mnt 2>/dev/null)" = "$MNTNS" ] || return 125
    timeout --kill-after=5 120 nsenter --target "$LEADER" --all -- setpriv --bounding-set="$DROP_CAPS" -- \
        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/swift/usr/bin LANG=C.UTF-8 \
        SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 "$@"
}

leader_alive() { [ -n "${LEADER:-}" ] && [ "$(readlink /proc/$LEADER/ns/pid 2>/dev/null)" = "$PIDNS" ]; }

namespace_pids() {
    local p
    [ -n "${PIDNS:-}" ] || return 0
    for p in /proc/[0-9]*; do [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$PIDNS" ] && echo "${p#/proc/}"; done
}

start_guard() {  # kills the container and removes our cgroups if this script disappears
    local started
    started=$(awk '{print $22}' /proc/$$/stat)
    # shellcheck disable=SC2016
    setsid bash -c '
        h=$1 started=$2 leader=$3 pidns=$4 id=$5; shift 5
        while [ "$(awk "{print \$22}" /proc/$h/stat 2>/dev/null)" = "$started" ]; do sleep 1; done
        [ "$(readlink /proc/$leader/ns/pid 2>/dev/null)" = "$pidns" ] && kill -KILL "$leader"
        rm -f /tmp/$id.canary /tmp/$id.canary.old /var/tmp/$id.canary.old
        for i in 1 2 3 4 5 6 7 8 9 10; do
            for d in "$@"; do [ -d "$d/$id" ] && find "$d/$id" -depth -type d -exec rmdir {} \; 2>/dev/null; done
            sleep 1
        done' guard "$$" "$started" "$LEADER" "$PIDNS" "$ID" "${CGROUPS[@]}" < /dev/null > /dev/null 2>&1 &
    GUARD=$!
}

teardown() {
    [ -n "${NSPAWN:-}" ] || return 0
    [ -n "${GUARD:-}" ] && kill "$GUARD" 2>/dev/null
    if leader_alive; then
        inside systemctl poweroff --no-block > /dev/null 2>&1 || kill -s RTMIN+4 "$LEADER" 2>/dev/null
        local i
        for ((i = 0; i < 300; i++)); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.1; done
        leader_alive && { log "poweroff timed out: SIGKILL to the container's PID 1"; kill -KILL "$LEADER"; }
    fi
    sleep 0.2
    kill -0 "$NSPAWN" 2>/dev/null && kill -KILL "$NSPAWN" 2>/dev/null
    wait "$NSPAWN" 2> /dev/null
    local pids p d
    for ((i = 0; i < 50; i++)); do
        pids=$({ for d in "${CGROUPS[@]}"; do [ -d "$d/$ID" ] && find "$d/$ID" -name cgroup.procs -exec cat {} + 2>/dev/null; done; namespace_pids; } | sort -u)
        [ -z "$pids" ] && break
        for p in $pids; do kill -KILL "$p" 2>/dev/null; done
        sleep 0.1
    done
    for ((i = 0; i < 20; i++)); do
        for d in "${CGROUPS[@]}"; do [ -d "$d/$ID" ] && find "$d/$ID" -depth -type d -exec rmdir {} \; 2>/dev/null; done
        ls -d "${CGROUPS[@]/%//$ID}" > /dev/null 2>&1 || break
        sleep 0.2
    done
    NSPAWN_DONE=$NSPAWN
    NSPAWN=
}

verify_host() {
    local bad=0 d
    snapshot "$RUN/snap/after"
    if diff -r "$RUN/snap/before" "$RUN/snap/after" > "$RUN/snap/diff"; then
        log "host unchanged: /etc hashes, mounts, sysctls, binfmt_misc, /run/systemd, hostname, journald pid, installed paths"
    else
        log "host CHANGED:"; cat "$RUN/snap/diff" >&2; bad=1
    fi
    sha256sum --quiet -c "$RUN/canaries" || { log "a canary changed or vanished"; bad=1; }
    rm -f "${CANARIES[@]}"
    for d in "${CGROUPS[@]}"; do [ -e "$d/$ID" ] && { log "cgroup $d/$ID left behind"; bad=1; }; done
    [ -n "$(namespace_pids)" ] && { log "processes left in the container's pid namespace"; bad=1; }
    kill -0 "${NSPAWN_DONE:-0}" 2>/dev/null && { log "nspawn still running"; bad=1; }
    findmnt -rn -o TARGET | grep -qF "$RUN" && { log "a mount under $RUN is left"; bad=1; }
    return $bad
}

# ------------------------------------------------------------------ the scenario
journal_has() {  # journal_has FIELD=VALUE... : one entry of the unit has all of them
    inside journalctl --no-pager -o json -u "$UNIT" | python3 -c '
import json, sys
want = dict(a.split("=", 1) for a in sys.argv[1:])
def entries():
    for line in sys.stdin.buffer:
        try:
            yield json.loads(line)
        except ValueError as error:  # one odd entry must not hide the others
            print(f"journal_has: skipped an entry: {error}", file=sys.stderr)
# Read to the end: stopping at the first match would kill journalctl with SIGPIPE, and under
# pipefail that fails the check.
found = [all(str(e.get(k)) == v for k, v in want.items()) for e in entries()]
sys.exit(0 if any(found) else 1)' "$@"
}
prop() { inside systemctl show -P "$2" "$1"; }
prop_is() { [ "$(prop "$1" "$2")" = "$3" ]; }
status_says() { prop "$UNIT" StatusText | grep -q "$1"; }
restarted() { [ "$(prop "$UNIT" NRestarts)" = "$1" ] && prop_is "$UNIT" ActiveState active; }
drop() {  # drop NAME TEXT: write elsewhere, rename in (as producers are told to)
    printf '%s\n' "$2" > "$RUN/spool/incoming/.$1.part"
    chmod 0644 "$RUN/spool/incoming/.$1.part"
    mv "$RUN/spool/incoming/.$1.part" "$RUN/spool/incoming/$1"
}
# A report is a set of renditions under one name: the JSON and the text at least.
reports_exist() {  # the JSON, text and HTML renditions
    ls "$RUN/spool/reports/$1/"*.json >/dev/null 2>&1 && ls "$RUN/spool/reports/$1/"*.txt >/dev/null 2>&1 \
        && ls "$RUN/spool/reports/$1/"*.html >/dev/null 2>&1
}
verdict_names_policy() {  # the verdict entry's POLICY is one of the analysis's candidates
    inside journalctl --no-pager -o export -u "$UNIT" EXPERIMENT_ID="$1" ADVISOR_EVENT=verdict \
        | grep -Eq "^POLICY=(xgboost-t-learner|ridge-t-learner|xgboost-t-learner-guarded|policy-tree|distilled-tree)$"
}
rejected_exists() { ls "$RUN/spool/rejected/" 2>/dev/null | grep -q "$1.error.txt"; }

scenario() {
    local experiment=e2e-$$ output main_pid
    check "install.sh installs and starts the service (Type=notify: start returns after READY=1)" \
        inside env ADVISOR_BINARY=/e2e/experiment-advisor bash /e2e/repo/scripts/install.sh
    check "the service is active" prop_is "$UNIT" ActiveState active
    if ! prop_is "$UNIT" ActiveState active; then
        inside systemctl --no-pager status "$UNIT" >&2
        inside journalctl --no-pager -u "$UNIT" -n 40 >&2
        return 1  # everything after depends on a running service
    fi
    output=$(prop "$UNIT" StatusText)
    check "StatusText is 'watching …/incoming; since start: …' ($output)" \
        bash -c '[[ "$1" == "watching /var/spool/experiment-advisor/incoming; since start: "* ]]' _ "$output"
    output=$(inside systemd-analyze verify /etc/systemd/system/$UNIT 2>&1)
    check "systemd-analyze verify prints nothing for the installed unit" test -z "$output"
    output=$(inside systemd-analyze security $UNIT 2>&1 | grep 'Overall exposure')
    log "live: $output"
    check "systemd-analyze security rates the running unit SAFE" grep -q SAFE <<< "$output"

    main_pid=$(prop "$UNIT" MainPID)
    output=$(inside cat /proc/$main_pid/status)
    check "runs as the sysusers user, not root" bash -c '[ "$(awk "/^Uid:/{print \$2}" <<< "$1")" = "$(awk -F: "\$1==\"experiment-advisor\"{print \$3}" <<< "$2")" ]' \
        _ "$output" "$(inside getent passwd experiment-advisor)"
    check "NoNewPrivs, seccomp filter and no effective capabilities are in force" \
        bash -c 'grep -q "^NoNewPrivs:\s*1" <<< "$1" && grep -q "^Seccomp:\s*2" <<< "$1" && grep -q "^CapEff:\s*0*$" <<< "$1"' _ "$output"

    drop good.yaml "$(sed "s/^experiment: flu-nudges-2027/experiment: $experiment/" config/proposals/example-minimal.yaml)"
    check "a proposal dropped on the host produces its report (JSON, text and HTML)" wait_for 60 reports_exist "$experiment"
    check "the input was archived" bash -c '[ -z "$(ls "$1/incoming")" ] && ls "$1/archive" | grep -q good.yaml' _ "$RUN/spool"
    check "journal: one prediction entry for EXPERIMENT_ID, from the unit, at PRIORITY=6" wait_for 10 \
        journal_has EXPERIMENT_ID=$experiment ADVISOR_EVENT=prediction _SYSTEMD_UNIT=$UNIT PRIORITY=6 SYSLOG_IDENTIFIER=experiment-advisor
    output=$(inside journalctl --no-pager -x -u "$UNIT" EXPERIMENT_ID=$experiment)
    check "journalctl -x explains the entry from the catalog" grep -q "The one thing to do" <<< "$output"

    drop bad.yaml "experiment: $experiment-bad
arms: 1"
    check "a bad proposal lands in rejected/ with its error file" wait_for 30 rejected_exists bad.yaml
    check "journal: the rejection is a warning (PRIORITY=4) with FIELD=arms" wait_for 10 \
        journal_has EXPERIMENT_ID=$experiment-bad ADVISOR_EVENT=rejected PRIORITY=4 FIELD=arms

    # A data drop under the hardened unit: XGBoost (OpenMP threads) inside the seccomp filter,
    # with a guardrail outcome beside the primary one.
    "$BINARY" synthesize --units 4000 --arms 3 --sigma 0.3 --rho 0.2 --s 0.02 \
        --guardrail unsubscribed:0.5:0.05 --output "$RUN/drop.csv" > /dev/null
    { printf 'experiment: %s-data\n' "$experiment"; cat "$RUN/drop.manifest.yaml"; } > "$RUN/spool/incoming/.drop.manifest.yaml.part"
    mv "$RUN/spool/incoming/.drop.manifest.yaml.part" "$RUN/spool/incoming/drop.manifest.yaml"
    cp "$RUN/drop.csv" "$RUN/spool/incoming/.drop.csv.part"
    chmod 0644 "$RUN/spool/incoming/.drop.csv.part" "$RUN/spool/incoming/drop.manifest.yaml"
    mv "$RUN/spool/incoming/.drop.csv.part" "$RUN/spool/incoming/drop.csv"
    check "a data drop produces its verdict (JSON, text and HTML)" wait_for 120 reports_exist "$experiment-data"
    check "journal: a verdict entry naming the chosen POLICY" wait_for 10 \
        verdict_names_policy "$experiment-data"
    check "the verdict's policy file is written with it, and the journal names it (POLICY_FILE)" bash -c \
        'f=$(ls "$1"/*-policy.json) && grep -q "\"format\":\"experiment-advisor-policy\"" "$f" && grep -q "^POLICY_FILE=/var/spool/experiment-advisor/reports/.*/${f##*/}$" <<< "$2"' \
        _ "$RUN/spool/reports/$experiment-data" "$(inside journalctl --no-pager -o export EXPERIMENT_ID=$experiment-data)"
    check "journal: the verdict says whether its guardrails pass (GUARDRAILS_PASS)" \
        bash -c 'grep -Eq "^GUARDRAILS_PASS=(true|false)$" <<< "$1"' _ "$(inside journalctl --no-pager -o export EXPERIMENT_ID=$experiment-data ADVISOR_EVENT=verdict)"
    check "reports/index.html links the verdict's page" bash -c \
        'f=$(ls "$1/reports/$2"/*-verdict.html) && grep -q "href=\"$2/${f##*/}\"" "$1/reports/index.html"' \
        _ "$RUN/spool" "$experiment-data"
    check "data and manifest archived" bash -c 'ls "$1/archive" | grep -q drop.csv && ls "$1/archive" | grep -q drop.manifest.yaml' _ "$RUN/spool"
    next=$(ls "$RUN/spool/reports/$experiment-data/"*-next-proposal.yaml)
    drop next.yaml "$(cat "$next")"
    check "the verdict's next proposal, dropped back unchanged, becomes a prediction" \
        wait_for 60 bash -c 'ls "$1"/*-prediction.json >/dev/null 2>&1' _ "$RUN/spool/reports/$experiment-data"

    output=$(inside journalctl --no-pager -o cat -u "$UNIT")
    # libdispatch's "Failed to set thread priority" (setpriority is filtered with @resources, and
    # raising a priority needs CAP_SYS_NICE) is known and harmless: the thread keeps its priority.
    check "no other complaints from the runtime under the sandbox (OpenMP, seccomp)" \
        bash -c '! grep -v "thread priority" <<< "$1" | grep -Ei "libgomp|operation not permitted|bad system call|permission denied" >&2' _ "$output"

    output=$(prop "$UNIT" WatchdogUSec)
    check "WatchdogUSec is 30s as shipped ($output)" test "$output" = 30s
    # A 2 s watchdog (drop-in in /run, gone with the container): the loop must ping every 1 s.
    inside mkdir -p /run/systemd/system/$UNIT.d
    inside bash -c "printf '[Service]\nWatchdogSec=2s\n' > /run/systemd/system/$UNIT.d/e2e-watchdog.conf"
    inside systemctl daemon-reload
    check "restart with WatchdogSec=2s" inside systemctl restart "$UNIT"
    local before after
    before=$(prop "$UNIT" WatchdogTimestampMonotonic)
    sleep 4.5
    after=$(prop "$UNIT" WatchdogTimestampMonotonic)
    check "watchdog pings keep coming: timestamp advanced over 4.5 s ($before -> $after)" test "$after" -gt "$before"
    check "no watchdog kill: still active, NRestarts=0" \
        bash -c '[ "$1" = active ] && [ "$2" = 0 ]' _ "$(prop "$UNIT" ActiveState)" "$(prop "$UNIT" NRestarts)"
    main_pid=$(prop "$UNIT" MainPID)

    check "systemctl reload returns 0 (RELOADING=1 ... READY=1)" inside systemctl reload "$UNIT"
    check "journal: reloaded" wait_for 10 journal_has ADVISOR_EVENT=reloaded
    check "reload keeps the same main process" test "$(prop "$UNIT" MainPID)" = "$main_pid"
    inside cp /etc/experiment-advisor/experiment-advisor.yaml /etc/experiment-advisor/good.yaml
    inside bash -c 'echo "log_level: loud" > /etc/experiment-advisor/experiment-advisor.yaml'
    check "reload with a broken config still returns 0" inside systemctl reload "$UNIT"
    check "journal: reload-failed at PRIORITY=3" wait_for 10 journal_has ADVISOR_EVENT=reload-failed PRIORITY=3
    check "still active on the old config" prop_is "$UNIT" ActiveState active
    inside cp /etc/experiment-advisor/good.yaml /etc/experiment-advisor/experiment-advisor.yaml
    drop again.yaml "$(sed "s/^experiment: flu-nudges-2027/experiment: $experiment-2/" config/proposals/example-minimal.yaml)"
    check "still answering proposals after the bad reload" wait_for 60 reports_exist "$experiment-2"

    # Worker processes: an input past its memory limit is rejected with the reason, and the
    # daemon (the same main process) carries on.
    inside sed -i 's/^  memory_limit_bytes: .*/  memory_limit_bytes: 67108864/' /etc/experiment-advisor/experiment-advisor.yaml
    check "reload with worker.memory_limit_bytes at 64 MiB" inside systemctl reload "$UNIT"
    main_pid=$(prop "$UNIT" MainPID)
    "$BINARY" synthesize --units 1000000 --arms 4 --output "$RUN/big.csv" > /dev/null
    cp "$RUN/big.csv" "$RUN/spool/incoming/.big.csv.part"
    chmod 0644 "$RUN/spool/incoming/.big.csv.part"
    mv "$RUN/spool/incoming/.big.csv.part" "$RUN/spool/incoming/big.csv"
    check "a drop past the worker's memory limit is rejected with that reason" wait_for 60 bash -c \
        'grep -q "ran out of its 64 MiB memory limit" "$1"/*big.csv.error.txt 2>/dev/null' _ "$RUN/spool/rejected"
    check "the service kept running: same main process, NRestarts=0" \
        bash -c '[ "$1" = "$2" ] && [ "$3" = 0 ]' _ "$(prop "$UNIT" MainPID)" "$main_pid" "$(prop "$UNIT" NRestarts)"
    inside sed -i 's/^  memory_limit_bytes: .*/  memory_limit_bytes: 4294967296/' /etc/experiment-advisor/experiment-advisor.yaml
    inside systemctl reload "$UNIT"

    # systemctl kill -s KILL mid-analysis: daemon and worker die together; the restarted service
    # takes the drop again from its ledger and answers it once.
    "$BINARY" synthesize --units 300000 --arms 4 --sigma 0.3 --rho 0.2 --s 0.02 --output "$RUN/killed.csv" > /dev/null
    printf 'experiment: %s-killed\n' "$experiment" > "$RUN/spool/incoming/.killed.manifest.yaml.part"
    chmod 0644 "$RUN/spool/incoming/.killed.manifest.yaml.part"
    mv "$RUN/spool/incoming/.killed.manifest.yaml.part" "$RUN/spool/incoming/killed.manifest.yaml"
    cp "$RUN/killed.csv" "$RUN/spool/incoming/.killed.csv.part"
    chmod 0644 "$RUN/spool/incoming/.killed.csv.part"
    mv "$RUN/spool/incoming/.killed.csv.part" "$RUN/spool/incoming/killed.csv"
    check "the drop is being analyzed (StatusText names it)" wait_for 30 status_says "analyzing killed.csv"
    check "StatusText follows the analysis in the worker (stage and models)" wait_for 60 \
        status_says "analyzing $experiment-killed: "
    sleep 1
    check "systemctl kill -s KILL returns 0" inside systemctl kill -s KILL "$UNIT"
    check "the service is restarted (NRestarts=1) and active" wait_for 30 restarted 1
    check "the killed drop is answered once after the restart (one verdict, archived, nothing rejected)" wait_for 180 \
        bash -c '[ "$(ls "$1/reports/$2"/*-verdict.json 2>/dev/null | wc -l)" = 1 ] && ls "$1/archive" | grep -q killed.csv && ! ls "$1/rejected" | grep -q killed' \
        _ "$RUN/spool" "$experiment-killed"
    check "the ledger survived the kill: history lists the first proposal and the retried drop" bash -c \
        'grep -q "good.yaml  prediction $2" <<< "$1" && grep -q "killed.csv  verdict $2-killed: " <<< "$1"' \
        _ "$(inside /usr/local/bin/experiment-advisor history --config /etc/experiment-advisor/experiment-advisor.yaml)" "$experiment"

    check "systemctl stop returns 0" inside systemctl stop "$UNIT"
    check "stopped cleanly (Result=success, exit 0)" \
        bash -c '[ "$1" = success ] && [ "$2" = 0 ]' _ "$(prop "$UNIT" Result)" "$(prop "$UNIT" ExecMainStatus)"
    check "journal: stopping" wait_for 10 journal_has ADVISOR_EVENT=stopping
    # Kept with the run's logs, for reading a failure afterwards.
    inside journalctl --no-pager -o json -u "$UNIT" > "$RUN/journal.json" 2> "$RUN/journal.err" || true
}

preflight
# Any early exit (die, an unexpected error) fails the run, as does a run that checked nothing.
trap 'status=$?; teardown; verify_host || FAIL=$((FAIL + 1)); log "$PASS passed, $FAIL failed (logs: $RUN)"
      [ "$status" = 0 ] && [ "$FAIL" = 0 ] && [ "$PASS" -gt 0 ]; exit $?' EXIT
boot
scenario
