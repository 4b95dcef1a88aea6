#!/bin/sh
# The "rsh agent" of scripts/two-hosts.sh: mpirun calls it like ssh (`netns-agent.sh <host> <command...>`)
# to start its daemon on another host; here a host is a network namespace on this machine, named
# by its address in BIGFACE_NETNS_HOSTS ("10.77.0.1=bfhost1 10.77.0.2=bfhost2"). The command runs
# inside that namespace, with its own hostname (UTS namespace), so Open MPI sees two machines.
host="$1"
shift
for pair in $BIGFACE_NETNS_HOSTS; do
  if [ "${pair%%=*}" = "$host" ] || [ "${pair#*=}" = "$host" ]; then
    namespace="${pair#*=}"
    exec ip netns exec "$namespace" unshare --uts sh -c "hostname $namespace && exec sh -c \"\$0\"" "$*"
  fi
done
echo "netns-agent.sh: unknown host '$host' (known: $BIGFACE_NETNS_HOSTS)" >&2
exit 1
