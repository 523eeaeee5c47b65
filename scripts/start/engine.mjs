// Finds the container engine `npm start` gives its local agent (podman, then docker, the agent's own
// `auto` order, unless REXEC_RUNTIME names one) and picks the image the printed curl line uses. The
// agent re-detects and drives the engine itself; this only decides whether to start it at all.
import { spawnSync } from 'node:child_process';

const ENGINES = ['podman', 'docker'];
const PROBE_TIMEOUT_MS = 30_000;

function run(kind, args) {
  return spawnSync(kind, args, { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
}

function lastLine(text) {
  const lines = (text ?? '').trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/**
 * The first engine whose `info` answers (the engine's daemon or storage works, so it can run
 * containers), or null. `problems` lists why each candidate was passed over, for the hint.
 */
export function detectEngine(requested) {
  const candidates = ENGINES.includes(requested) ? [requested] : ENGINES;
  const problems = [];
  for (const kind of candidates) {
    const probe = run(kind, ['info', '--format', '{{json .}}']);
    if (probe.error?.code === 'ENOENT') {
      problems.push(`${kind} is not installed`);
    } else if (probe.error !== undefined) {
      problems.push(`${kind} info failed: ${probe.error.message}`);
    } else if (probe.status !== 0) {
      problems.push(`${kind} is installed but cannot run containers: ${lastLine(probe.stderr)}`);
    } else {
      return { kind, problems };
    }
  }
  return { kind: null, problems };
}

function hasImage(kind, reference) {
  return run(kind, ['image', 'inspect', '--format', '{{.Id}}', reference]).status === 0;
}

function localImages(kind) {
  const listed = run(kind, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  if (listed.status !== 0) return [];
  return listed.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.includes('<none>'));
}

/**
 * The create body for the curl line. Rexec never pulls (`--pull never`), so an image the engine
 * already has is the honest choice: a catalog image if one is present, else any local image as a
 * `custom` image, else the Debian catalog image with a note saying to load it first.
 */
export function chooseImage(kind, catalog, ociPattern) {
  for (const image of catalog) {
    if (image.reference !== undefined && hasImage(kind, image.reference)) {
      return {
        body: { image: image.name },
        note: `the catalog image ${image.name} (${image.reference}), which ${kind} already has`,
        present: true,
      };
    }
  }
  const custom = localImages(kind).find((reference) => ociPattern.test(reference));
  if (custom !== undefined) {
    return {
      body: { image: 'custom', custom_image: custom },
      note: `${custom}, an image ${kind} already has, as a custom image (no catalog image is present)`,
      present: true,
    };
  }
  const debian = catalog.find((image) => image.name === 'debian:bookworm');
  return {
    body: { image: 'debian:bookworm' },
    note:
      `the catalog image debian:bookworm, which ${kind} does not have yet: Rexec does not pull ` +
      `images, so load it first with "${kind} pull ${debian?.reference ?? 'debian:bookworm'}"`,
    present: false,
  };
}
