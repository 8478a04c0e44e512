# shellcheck shell=bash
# Sourced by the scripts here: sets STORAGE_OPTS, the container storage options buildah and podman must share
# (images built by one are run by the other). overlay where this kernel can mount it (copy-on-write: a layer
# or a container costs only what it changes); else vfs, which works everywhere but copies the whole file
# system for every layer and every container (~1 GB each for these images), in its own storage root so the
# two never meet in one store. CONTAINER_STORAGE_DRIVER=overlay|vfs forces one.
container_storage_driver() {
  if [[ -n "${CONTAINER_STORAGE_DRIVER:-}" ]]; then echo "$CONTAINER_STORAGE_DRIVER"; return; fi
  local probe driver=vfs
  probe=$(mktemp -d)
  mkdir -p "$probe/l" "$probe/u" "$probe/w" "$probe/m"
  if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
    umount "$probe/m"
    driver=overlay
  fi
  rm -rf "$probe"
  echo "$driver"
}
CONTAINER_STORAGE_DRIVER=$(container_storage_driver)
export CONTAINER_STORAGE_DRIVER
STORAGE_OPTS=(--storage-driver "$CONTAINER_STORAGE_DRIVER")
if [[ "$CONTAINER_STORAGE_DRIVER" == vfs ]]; then
  STORAGE_OPTS+=(--root /var/lib/containers/storage-vfs --runroot /run/containers/storage-vfs)
fi
