# Shell functions the bench/run_*.sh scripts share. Source it after setting `work` (the run's
# temporary folder).

# Waits up to 30 s for the unix socket $1 to appear; the run fails without it.
wait_sock() {
    for _ in $(seq 600); do [ -S "$1" ] && return 0; sleep 0.05; done
    echo "no socket $1" >&2
    exit 1
}

# Starts rvirtd binary $2 as daemon NAME=$1: config, sockets and QEMU state under $work/NAME,
# its stderr in $work/NAME.log, its pid in $work/NAME.pid; returns once its socket
# $work/NAME/sock/libvirt-sock is there. Extra config lines may follow as $3.
start_rvirtd() {
    mkdir -p "$work/$1"
    cat > "$work/$1/rvirtd.conf" <<CONF
unix_sock_dir = "$work/$1/sock"
unix_sock_rw_perms = "0777"
listen_tls = 0
rvirt_qemu_root = "$work/$1/state"
${3:-}
CONF
    "$2" -f "$work/$1/rvirtd.conf" 2>"$work/$1.log" & echo $! > "$work/$1.pid"
    wait_sock "$work/$1/sock/libvirt-sock"
}
