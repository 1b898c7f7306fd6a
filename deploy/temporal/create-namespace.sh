#!/bin/sh
# One-shot (temporalio/admin-tools): the namespace Baton runs in, created once. The server image
# does not create it. Retention: how long closed workflow histories are kept.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${TEMPORAL_NAMESPACE:?}"
tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do
  tries=$((tries + 1)); [ "$tries" -ge 30 ] && exit 1; sleep 2
done
temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1 \
  || temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$TEMPORAL_NAMESPACE" --retention "${TEMPORAL_NAMESPACE_RETENTION:-720h}"
echo "namespace $TEMPORAL_NAMESPACE ready"
