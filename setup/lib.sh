# shellcheck shell=bash
# Shared by setup/run and setup/test: finds Odoo, builds the virtualenv,
# starts (or reuses) PostgreSQL and writes the Odoo configuration.
# Sourced, never executed.  Every step is idempotent: a second run reuses what exists.

set -euo pipefail

LS_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LS_HOME="${LOGISTICS_SYNC_HOME:-$HOME/.cache/logistics-sync}"
LS_LOCAL="$LS_REPO/.local"                     # git-ignored: cluster, config, logs
LS_VENV="${LOGISTICS_SYNC_VENV:-$LS_REPO/.venv}"
LS_PYTHON="${PYTHON:-}"
LS_ODOO_ARCHIVE_URL="${ODOO_ARCHIVE_URL:-https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz}"
LS_PGPORT_DEFAULT="${LS_PGPORT:-55432}"
LS_ADDONS="logistics_sync_base,logistics_sync_carrier,logistics_sync_tms,logistics_sync_freight,logistics_sync_monitoring,logistics_sync_3pl,logistics_sync_monitoring_tms,logistics_sync_monitoring_freight,logistics_sync_freight_tms,logistics_sync_notify,logistics_sync_notify_sms,logistics_sync_monitoring_3pl,logistics_sync_edi,logistics_sync_monitoring_edi"
LS_STARTED_PG=0

log() { printf '\033[1m[logistics-sync]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[logistics-sync] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

# --------------------------------------------------------------------------- Odoo
_is_odoo18() {
    [ -f "$1/odoo-bin" ] && [ -f "$1/odoo/release.py" ] &&
        grep -qE '^version_info = \(18, 0,' "$1/odoo/release.py"
}

ls_find_odoo() {
    if [ -n "${ODOO_SRC:-}" ]; then
        _is_odoo18 "$ODOO_SRC" || die "ODOO_SRC=$ODOO_SRC is not an Odoo 18.0 source tree (no odoo-bin, or odoo/release.py is not 18.0)."
        ODOO_SRC="$(cd "$ODOO_SRC" && pwd)"
        log "Odoo source: $ODOO_SRC (from ODOO_SRC)"
        return
    fi
    local default="$LS_HOME/odoo-18.0"
    if _is_odoo18 "$default"; then
        ODOO_SRC="$default"
        log "Odoo source: $ODOO_SRC (default location)"
        return
    fi
    log "No Odoo source in ODOO_SRC or $default; downloading the official 18.0 source archive"
    local tmp
    tmp="$(mktemp -d)"
    if curl -fsSL --connect-timeout 15 --max-time 900 -o "$tmp/odoo.tar.gz" "$LS_ODOO_ARCHIVE_URL" 2>"$tmp/err" &&
        mkdir -p "$tmp/src" && tar -xzf "$tmp/odoo.tar.gz" -C "$tmp/src" --strip-components=1 &&
        _is_odoo18 "$tmp/src"; then
        mkdir -p "$LS_HOME"
        rm -rf "$default"
        mv "$tmp/src" "$default"
        rm -rf "$tmp"
        ODOO_SRC="$default"
        log "Odoo source: $ODOO_SRC (downloaded from $LS_ODOO_ARCHIVE_URL)"
        return
    fi
    local why
    why="$(tr '\n' ' ' <"$tmp/err" 2>/dev/null | cut -c1-200)"
    rm -rf "$tmp"
    die "Odoo 18.0 source not found. Set ODOO_SRC to an Odoo 18.0 source tree (the folder holding odoo-bin), or put one at $default. Downloading $LS_ODOO_ARCHIVE_URL failed too${why:+: $why}."
}

# ---------------------------------------------------------------- system packages
_missing_debs() {
    local pkg missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    echo "${missing[@]:-}"
}

ls_system_packages() {
    command -v dpkg-query >/dev/null || return 0    # not Debian: the README lists what to install
    local want=(libldap2-dev libsasl2-dev libpq-dev chromium)  # chromium: browser tours
    [ -z "${PGHOST:-}" ] && want+=(postgresql)
    local missing
    missing="$(_missing_debs "${want[@]}")"
    [ -z "${missing// /}" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        die "Missing Debian packages: $missing. Install them: sudo apt-get install $missing"
    fi
    log "Installing Debian packages: $missing"
    # shellcheck disable=SC2086
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } >"$LS_LOCAL/apt.log" 2>&1 ||
        die "apt-get install $missing failed; see $LS_LOCAL/apt.log"
}

# ---------------------------------------------------------------------- virtualenv
ls_venv() {
    if [ -z "$LS_PYTHON" ]; then
        for candidate in python3.11 python3.12 python3.10 python3; do
            command -v "$candidate" >/dev/null && { LS_PYTHON="$candidate"; break; }
        done
    fi
    [ -n "$LS_PYTHON" ] || die "No python3 found; install Python 3.11 or set PYTHON."
    "$LS_PYTHON" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 12)))' ||
        die "$LS_PYTHON is not Python 3.10-3.12, which Odoo 18.0 needs; set PYTHON."

    local py="$LS_VENV/bin/python"
    if [ ! -x "$py" ]; then
        log "Creating virtualenv $LS_VENV"
        "$LS_PYTHON" -m venv "$LS_VENV"
    fi
    # Reinstall only when a requirements file changed.
    local stamp want
    stamp="$LS_VENV/.logistics-sync-stamp"
    want="$( (cat "$ODOO_SRC/requirements.txt" "$LS_REPO/requirements.txt" "$LS_REPO/test-requirements.txt" "$LS_REPO/setup/lib.sh"; ls_queue_job_spec) | sha256sum | cut -c1-16)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    log "Installing Python requirements into $LS_VENV (about a minute the first time)"
    local pipq=(-q --disable-pip-version-check)
    # (this machine's pip configuration names index folders that may not exist: hush that)
    _pip_noise() { grep -v "is ignored: it is neither a file nor a directory" >&2 || true; }
    # Odoo's pins build a few sdists (cbor2) that need setuptools<70 in their isolated
    # build environments: PIP_CONSTRAINT reaches those; the venv's own setuptools is
    # upgraded afterwards (setuptools 65's pkg_resources breaks the gevent worker; 81 and
    # later have no pkg_resources at all, which gevent 22 still imports).
    printf 'setuptools<70\n' >"$LS_LOCAL/build-constraints.txt"
    "$py" -m pip install "${pipq[@]}" 'pip>=23.2,<25' wheel 2> >(_pip_noise)
    PIP_CONSTRAINT="$LS_LOCAL/build-constraints.txt" \
        "$py" -m pip install "${pipq[@]}" -r "$ODOO_SRC/requirements.txt" 2> >(_pip_noise) ||
        die "Installing Odoo's requirements failed (see above)."
    "$py" -m pip install "${pipq[@]}" -r "$LS_REPO/requirements.txt" -r "$LS_REPO/test-requirements.txt" 2> >(_pip_noise) ||
        die "Installing requirements.txt / test-requirements.txt failed (see above)."
    # OCA addons declare a dependency on 'odoo' that cannot resolve from an index.
    "$py" -m pip install "${pipq[@]}" --no-deps "$(ls_queue_job_spec)" 2> >(_pip_noise) ||
        die "Installing the queue_job wheel failed (see above)."
    "$py" -m pip install "${pipq[@]}" -U 'setuptools>=70,<81' 2> >(_pip_noise) ||
        die "Upgrading the virtualenv's setuptools failed."
    echo "$want" >"$stamp"
}

# queue_job 18.0.3.1.3 and later import odoo.tests.common.SETATTR_SOURCES, which
# 18.0 trees older than mid-2025 lack: such a tree gets the last release without it.
ls_queue_job_spec() {
    if grep -q 'SETATTR_SOURCES' "$ODOO_SRC/odoo/tests/common.py"; then
        echo 'odoo-addon-queue_job>=18.0,<18.1'
    else
        echo 'odoo-addon-queue_job>=18.0,<18.0.3.1.3'
    fi
}

ls_oca_addons_dir() {
    "$LS_VENV/bin/python" - <<'PY'
import importlib.util, pathlib, sysconfig
base = pathlib.Path(sysconfig.get_paths()["purelib"]) / "odoo" / "addons"
assert (base / "queue_job" / "__manifest__.py").exists(), base
print(base)
PY
}

# ---------------------------------------------------------------------- PostgreSQL
# The embedded cluster lives in .local/postgres (git-ignored) and listens on
# 127.0.0.1 only.  As root it runs as an unprivileged user (PostgreSQL refuses root).
# An external server is used instead when PGHOST is set.

_pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && echo "$d"; done | sort -V | tail -n 1
}

_as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$LS_PG_OSUSER" -- "$@"
    else
        "$@"
    fi
}

ls_postgres() {
    if [ -n "${PGHOST:-}" ]; then
        LS_DB_HOST="$PGHOST"
        LS_DB_PORT="${PGPORT:-5432}"
        LS_DB_USER="${PGUSER:-$(id -un)}"
        LS_DB_PASSWORD="${PGPASSWORD:-}"
        log "PostgreSQL: external server $LS_DB_HOST:$LS_DB_PORT as $LS_DB_USER"
        return
    fi
    local bindir
    bindir="$(_pg_bindir)"
    [ -n "$bindir" ] || die "PostgreSQL server binaries not found (Debian package 'postgresql'); or set PGHOST for an external server."
    LS_PG_OSUSER="$(id -un)"
    if [ "$(id -u)" -eq 0 ]; then
        LS_PG_OSUSER="${LS_PG_OSUSER_OVERRIDE:-postgres}"
        id "$LS_PG_OSUSER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$LS_PG_OSUSER"
    fi
    LS_PGDATA="$LS_LOCAL/postgres"
    # The server user must reach the data folder; a clone under a private home
    # (e.g. /root) is not reachable, so the cluster then lives in /tmp instead.
    if [ "$(id -u)" -eq 0 ] && ! runuser -u "$LS_PG_OSUSER" -- test -x "$LS_LOCAL"; then
        LS_PGDATA="/tmp/logistics-sync-pg-$(printf '%s' "$LS_REPO" | sha256sum | cut -c1-12)"
        log "$LS_LOCAL is not reachable by user $LS_PG_OSUSER; the cluster lives in $LS_PGDATA"
    fi
    LS_DB_HOST=127.0.0.1
    LS_DB_PORT="$LS_PGPORT_DEFAULT"
    LS_DB_USER=odoo
    local pwfile="$LS_LOCAL/db-password"
    [ -s "$pwfile" ] || { (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$pwfile"); }
    LS_DB_PASSWORD="$(cat "$pwfile")"

    if [ ! -f "$LS_PGDATA/PG_VERSION" ]; then
        log "Creating PostgreSQL cluster in $LS_PGDATA"
        mkdir -p "$LS_PGDATA"
        chmod 700 "$LS_PGDATA"
        [ "$(id -u)" -eq 0 ] && chown "$LS_PG_OSUSER" "$LS_PGDATA"
        _as_pg "$bindir/initdb" -D "$LS_PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
            -E UTF8 --locale=C.UTF-8 >"$LS_LOCAL/initdb.log" 2>&1 || die "initdb failed; see $LS_LOCAL/initdb.log"
        {
            echo "listen_addresses = '127.0.0.1'"
            echo "unix_socket_directories = '$LS_PGDATA'"
            echo "max_connections = 200"
            echo "shared_buffers = 256MB"
            echo "fsync = on"
        } >>"$LS_PGDATA/postgresql.conf"
        # local socket: the server's OS user may act as postgres (to create the odoo role)
        printf 'local all postgres peer map=owner\nlocal all all peer\nhost all all 127.0.0.1/32 scram-sha-256\n' >"$LS_PGDATA/pg_hba.conf"
        printf 'owner %s postgres\n' "$LS_PG_OSUSER" >"$LS_PGDATA/pg_ident.conf"
        [ "$(id -u)" -eq 0 ] && chown "$LS_PG_OSUSER" "$LS_PGDATA"/*.conf
    fi
    if _as_pg "$bindir/pg_ctl" -D "$LS_PGDATA" status >/dev/null 2>&1; then
        LS_DB_PORT="$(sed -n 4p "$LS_PGDATA/postmaster.pid")"
        log "PostgreSQL: reusing the running cluster on 127.0.0.1:$LS_DB_PORT"
    else
        if (exec 3<>"/dev/tcp/127.0.0.1/$LS_DB_PORT") 2>/dev/null; then
            die "Port $LS_DB_PORT on 127.0.0.1 is taken by another program; set LS_PGPORT to a free port."
        fi
        log "Starting PostgreSQL on 127.0.0.1:$LS_DB_PORT"
        _as_pg "$bindir/pg_ctl" -D "$LS_PGDATA" -l "$LS_PGDATA/server.log" -o "-p $LS_DB_PORT" -w -t 60 start >/dev/null ||
            die "PostgreSQL did not start; see $LS_PGDATA/server.log"
        LS_STARTED_PG=1
    fi
    LS_PG_BINDIR="$bindir"
    # the role Odoo uses: superuser-free, may create databases
    _as_pg "$bindir/psql" -h "$LS_PGDATA" -p "$LS_DB_PORT" -U postgres -d postgres -qAtX -v ON_ERROR_STOP=1 \
        -v pw="$LS_DB_PASSWORD" >/dev/null <<'SQL' || die "Could not create the odoo role"
SELECT format('CREATE ROLE odoo LOGIN CREATEDB PASSWORD %L', :'pw') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'odoo') \gexec
SELECT format('ALTER ROLE odoo PASSWORD %L', :'pw') \gexec
SQL
}

ls_stop_postgres() {
    if [ "$LS_STARTED_PG" = 1 ]; then
        # Another setup/run or setup/test may have reused the cluster since we started
        # it: leave it running while anybody else is connected.
        local others
        others="$(_as_pg "$LS_PG_BINDIR/psql" -h "$LS_PGDATA" -p "$LS_DB_PORT" -U postgres -d postgres -qAtX \
            -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()" 2>/dev/null || echo 0)"
        if [ "${others:-0}" -gt 0 ]; then
            log "PostgreSQL left running: $others other connection(s) use it"
            LS_STARTED_PG=0
            return 0
        fi
        log "Stopping PostgreSQL"
        _as_pg "$LS_PG_BINDIR/pg_ctl" -D "$LS_PGDATA" -m fast -w stop >/dev/null 2>&1 || true
        LS_STARTED_PG=0
    fi
}

ls_psql() {
    PGPASSWORD="$LS_DB_PASSWORD" psql -h "$LS_DB_HOST" -p "$LS_DB_PORT" -U "$LS_DB_USER" -qAtX "$@"
}

# --------------------------------------------------------------------- Odoo config
# ls_write_config FILE DB [extra "key = value" lines...]
ls_write_config() {
    local file="$1" db="$2"
    shift 2
    local oca
    oca="$(ls_oca_addons_dir)"
    {
        echo "[options]"
        echo "addons_path = $ODOO_SRC/odoo/addons,$ODOO_SRC/addons,$oca,$LS_REPO"
        echo "data_dir = $LS_LOCAL/data"
        echo "db_host = $LS_DB_HOST"
        echo "db_port = $LS_DB_PORT"
        echo "db_user = $LS_DB_USER"
        echo "db_password = $LS_DB_PASSWORD"
        # One database served by name, no db filter: sessionless requests (webhooks,
        # queue_job dispatches) then skip listing databases on every request.
        echo "db_name = $db"
        echo "dbfilter ="
        echo "list_db = False"
        echo "http_interface = 127.0.0.1"
        echo "without_demo = False"
        local line
        for line in "$@"; do echo "$line"; done
    } >"$file"
    chmod 600 "$file"
}
