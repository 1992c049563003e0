# What scripts/proxycost and scripts/floor share: servers pinned to core 0, wrk on core 1, nginx
# from a configuration of their own, CPU time read from /proc. Source it from the project root
# after setting `script` to the caller's name; it installs wrk and nginx-light when missing (root
# needed), checks for taskset, curl and 2 cores, and sets `nginx`, `work` (a temporary directory)
# and `pids` (the processes to stop on exit).

die() {
    echo "$script: error: $*" >&2
    exit 1
}

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q && apt-get install -y -q "${missing[@]}"
fi
nginx=$(command -v nginx || echo /usr/sbin/nginx)
command -v taskset >/dev/null || die "taskset (util-linux) is needed to pin the servers and wrk"
command -v curl >/dev/null || die "curl is needed"
(($(nproc) >= 2)) || die "needs 2 cores (servers on core 0, wrk on core 1); this machine has $(nproc)"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# CPU seconds (user + system) a process has used so far, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# nginx_conf NAME PORT UPSTREAM_PORT LOCATION: writes a one-process nginx configuration of its own
# under $work/NAME, listening on PORT, with an upstream `serve` (keep-alive) at UPSTREAM_PORT and
# LOCATION in its location /; prints its directory.
nginx_conf() {
    local dir="$work/$1" listen=$2 upstream=$3 location=$4
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    upstream serve { server 127.0.0.1:$upstream; keepalive 32; }
    server {
        listen 127.0.0.1:$listen;
        location / { $location }
    }
}
CONF
    echo "$dir"
}
