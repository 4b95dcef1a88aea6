#!/usr/bin/env bash
# Runs an MPI job across two "hosts" on one machine: two network namespaces (bfhost1, bfhost2)
# joined by a veth pair (10.77.0.1 <-> 10.77.0.2), so every byte between the ranks crosses a real
# network interface over TCP — the multi-node path of @bigface/mpi without a second machine.
#
#   sudo packages/mpi/scripts/two-hosts.sh [script.mjs [args...]]
#
# Default script: test/fixtures/collectives.mjs (every collective, checked). Needs root, iproute2
# (`ip netns`), util-linux (`unshare`) and OpenMPI; the package must be built (pnpm build).
# mpirun runs inside bfhost1 and starts its daemon in bfhost2 through scripts/netns-agent.sh (its
# "ssh"); shared memory is switched off (btl tcp,self) and both Open MPI's out-of-band channel and
# its TCP transport are pinned to the veth subnet. Results: rank-<r>.json in $BIGFACE_RESULT_DIR
# (default: a temporary directory, printed). The namespaces are removed on exit
# (BIGFACE_KEEP_NETNS=1 keeps them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
package="$(cd "$here/.." && pwd)"
script="${1:-test/fixtures/collectives.mjs}"
[ $# -gt 0 ] && shift
subnet=10.77.0
export BIGFACE_NETNS_HOSTS="$subnet.1=bfhost1 $subnet.2=bfhost2"

for tool in ip unshare mpirun; do
  command -v "$tool" >/dev/null || { echo "two-hosts.sh: $tool is missing (apt-get install iproute2 util-linux openmpi-bin)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "two-hosts.sh: network namespaces need root" >&2; exit 2; }

cleanup() {
  [ "${BIGFACE_KEEP_NETNS:-0}" = 1 ] && return
  ip netns del bfhost1 2>/dev/null || true
  ip netns del bfhost2 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add bfhost1
ip netns add bfhost2
ip link add bf-veth1 netns bfhost1 type veth peer name bf-veth2 netns bfhost2
ip -n bfhost1 addr add "$subnet.1/24" dev bf-veth1
ip -n bfhost2 addr add "$subnet.2/24" dev bf-veth2
for n in 1 2; do
  ip -n "bfhost$n" link set lo up
  ip -n "bfhost$n" link set "bf-veth$n" up
done
# (no ping needed: mpirun fails at once with a clear message when the daemon cannot reach it)

bytes() { ip -n bfhost2 -s -j link show bf-veth2 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=JSON.parse(s)[0].stats64;console.log(l.rx.bytes+l.tx.bytes)})'; }
before="$(bytes)"
export BIGFACE_RESULT_DIR="${BIGFACE_RESULT_DIR:-$(mktemp -d)}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "$package"
set +e
ip netns exec bfhost1 unshare --uts sh -c 'hostname bfhost1 && exec "$@"' sh \
  mpirun --host "$subnet.1:1,$subnet.2:1" -np 2 \
  --mca plm_rsh_agent "$here/netns-agent.sh" \
  --mca btl tcp,self --mca btl_tcp_if_include "$subnet.0/24" --mca oob_tcp_if_include "$subnet.0/24" \
  -x BIGFACE_RESULT_DIR -x PATH \
  "$(command -v node)" "$script" "$@"
code=$?
set -e
after="$(bytes)"
echo "two-hosts.sh: mpirun exited with $code; $((after - before)) bytes crossed bf-veth2; results in $BIGFACE_RESULT_DIR"
exit $code
