// The image and role catalog (DESIGN §3): which base images and setup roles a container may use.
// Kept as constants here so the API, SDK and agent share one list; role setup scripts live in the
// agent, not here.
import { z } from 'zod';

export const IMAGE_NAMES = [
  'ubuntu:24.04',
  'debian:bookworm',
  'alpine:latest',
  'archlinux:latest',
  'custom',
] as const;
export const ImageName = z.enum(IMAGE_NAMES);
export type ImageName = z.infer<typeof ImageName>;

export const ROLE_NAMES = ['node', 'python', 'go', 'rust', 'devops', 'barebone'] as const;
export const RoleName = z.enum(ROLE_NAMES);
export type RoleName = z.infer<typeof RoleName>;

export const DEFAULT_ROLE: RoleName = 'barebone';

export const PackageManager = z.enum(['apt', 'apk', 'pacman', 'unknown']);
export type PackageManager = z.infer<typeof PackageManager>;

/** One catalog image; `reference` is absent for `custom`, whose reference the user supplies. */
export const Image = z.object({
  name: ImageName,
  display_name: z.string().max(128),
  reference: z.string().max(255).optional(),
  package_manager: PackageManager,
  shell: z.string().max(64),
});
export type Image = z.infer<typeof Image>;

export const ImageList = z.object({ images: z.array(Image) });
export type ImageList = z.infer<typeof ImageList>;

export const Role = z.object({
  name: RoleName,
  display_name: z.string().max(128),
  description: z.string().max(512),
});
export type Role = z.infer<typeof Role>;

export const RoleList = z.object({ roles: z.array(Role) });
export type RoleList = z.infer<typeof RoleList>;

export const IMAGE_CATALOG: readonly Image[] = [
  {
    name: 'ubuntu:24.04',
    display_name: 'Ubuntu 24.04 LTS',
    reference: 'docker.io/library/ubuntu:24.04',
    package_manager: 'apt',
    shell: '/bin/bash',
  },
  {
    name: 'debian:bookworm',
    display_name: 'Debian 12 (bookworm)',
    reference: 'docker.io/library/debian:bookworm',
    package_manager: 'apt',
    shell: '/bin/bash',
  },
  {
    name: 'alpine:latest',
    display_name: 'Alpine Linux',
    reference: 'docker.io/library/alpine:latest',
    package_manager: 'apk',
    shell: '/bin/sh',
  },
  {
    name: 'archlinux:latest',
    display_name: 'Arch Linux',
    reference: 'docker.io/library/archlinux:latest',
    package_manager: 'pacman',
    shell: '/bin/bash',
  },
  {
    name: 'custom',
    display_name: 'Custom OCI image (custom_image)',
    package_manager: 'unknown',
    shell: '/bin/sh',
  },
];

export const ROLE_CATALOG: readonly Role[] = [
  { name: 'node', display_name: 'Node.js', description: 'Node.js LTS with npm.' },
  { name: 'python', display_name: 'Python', description: 'Python 3 with pip and venv.' },
  { name: 'go', display_name: 'Go', description: 'The Go toolchain.' },
  { name: 'rust', display_name: 'Rust', description: 'rustc and cargo.' },
  {
    name: 'devops',
    display_name: 'DevOps',
    description:
      'git, curl, make, jq, rsync, unzip, ssh client and ansible-core; kubectl, helm and terraform where the distribution packages them.',
  },
  { name: 'barebone', display_name: 'Barebone', description: 'The base image, nothing added.' },
];
