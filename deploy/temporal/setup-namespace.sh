#!/bin/sh
# One-shot of temporalio/admin-tools (docker-compose.yml, service temporal-setup): waits for the
# Temporal frontend, creates our namespace and registers the search attributes our workflows
# upsert (the list is workflows.SearchAttributeTypes; deploy/deploy_test.go checks they agree).
# Safe at every start: what exists is left as it is.
set -eu
NS="${TEMPORAL_NAMESPACE:-mif}"
ADDR="${TEMPORAL_ADDRESS:-temporal:7233}"
RETENTION="${TEMPORAL_RETENTION:-720h}"

tries=0
until temporal operator cluster health --address "$ADDR" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 90 ]; then
    echo "Temporal at $ADDR did not become healthy" >&2
    exit 1
  fi
  sleep 2
done

if ! temporal operator namespace describe --namespace "$NS" --address "$ADDR" >/dev/null 2>&1; then
  temporal operator namespace create --namespace "$NS" --retention "$RETENTION" --address "$ADDR"
fi

existing="$(temporal operator search-attribute list --namespace "$NS" --address "$ADDR")"
for attr in MifInterventionId:Int MifStatut:Keyword MifPriorite:Keyword MifEquipementId:Int MifTechnicienId:Int MifEnRetard:Bool; do
  name="${attr%%:*}"
  type="${attr##*:}"
  if ! printf '%s\n' "$existing" | grep -qw "$name"; then
    temporal operator search-attribute create --namespace "$NS" --address "$ADDR" --name "$name" --type "$type"
  fi
done
echo "namespace $NS and search attributes ready"
