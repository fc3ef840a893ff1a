/**
 * Media types of the OCI image spec (https://github.com/opencontainers/image-spec/blob/main/media-types.md),
 * shared by the sources that read them and the sinks and registry client that write them.
 */

/** OCI_MEDIA are the OCI image spec's media types undocker writes. */
export const OCI_MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
} as const;
