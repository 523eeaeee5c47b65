// The container engine the end-to-end suites drive: detection (podman, then docker), the names of
// the locally built test images, and a guard that fails a test loudly when the engine or images
// are missing. Building the images is test/images/build.sh's job, not this module's.
import { execa } from 'execa';
import type { Result } from 'execa';
import type { Test } from 'tap';

export type EngineKind = 'podman' | 'docker';

export const ENGINE_KINDS: readonly EngineKind[] = ['podman', 'docker'];
export const BUSYBOX_IMAGE = 'localhost/rexec-test/busybox:latest';
export const DEBIAN_IMAGE = 'docker.io/library/debian:bookworm';
export const TEST_IMAGES: readonly string[] = [BUSYBOX_IMAGE, DEBIAN_IMAGE];

const BUILD_HINT = 'build them with: bash test/images/build.sh';

function isEngineKind(value: string): value is EngineKind {
  return (ENGINE_KINDS as readonly string[]).includes(value);
}

/** Runs the engine CLI with an argv array; rejects with execa's rich error on a non-zero exit. */
export async function engine(
  kind: EngineKind,
  args: string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<Result<{ timeout: number }>> {
  return execa(kind, args, {
    timeout: options.timeoutMs ?? 120_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

async function answers(kind: EngineKind): Promise<boolean> {
  try {
    await execa(kind, ['info', '--format', '{{json .}}'], { timeout: 30_000 });
    return true;
  } catch {
    // An engine that is absent or whose daemon is down is simply not a candidate.
    return false;
  }
}

/**
 * The engine to use: REXEC_TEST_ENGINE if set (it must answer `info`), else the first of podman,
 * docker that answers. Null when none does.
 */
export async function detectEngine(): Promise<EngineKind | null> {
  const forced = process.env['REXEC_TEST_ENGINE'];
  if (forced !== undefined && forced !== '') {
    if (!isEngineKind(forced)) {
      throw new Error(
        `REXEC_TEST_ENGINE must be one of ${ENGINE_KINDS.join(', ')}, got "${forced}"`,
      );
    }
    return (await answers(forced)) ? forced : null;
  }
  for (const kind of ENGINE_KINDS) {
    if (await answers(kind)) return kind;
  }
  return null;
}

/** True when the engine has the image locally (no registry is reachable, so nothing is pulled). */
export async function hasImage(kind: EngineKind, image: string): Promise<boolean> {
  const result = await execa(kind, ['image', 'inspect', image], { reject: false, timeout: 30_000 });
  return result.exitCode === 0;
}

/**
 * The engine for an end-to-end test (`wanted`, or the detected one). Fails the test (never skips: a missing engine is a broken
 * environment, not an optional feature) and throws when no engine answers or an image is missing.
 */
export async function requireEngine(t: Test, wanted?: EngineKind): Promise<EngineKind> {
  const kind =
    wanted === undefined ? await detectEngine() : (await answers(wanted)) ? wanted : null;
  if (kind === null) {
    const message =
      wanted === undefined
        ? 'no container engine answers `info`: install podman (or docker) and run .ci/run, ' +
          'or set REXEC_TEST_ENGINE'
        : `${wanted} does not answer \`info\`: .ci/run installs it and starts its daemon`;
    t.fail(message);
    throw new Error(message);
  }
  const missing: string[] = [];
  for (const image of TEST_IMAGES) {
    if (!(await hasImage(kind, image))) missing.push(image);
  }
  if (missing.length > 0) {
    const message = `${kind} lacks the test images ${missing.join(', ')}; ${BUILD_HINT} --engine ${kind}`;
    t.fail(message);
    throw new Error(message);
  }
  return kind;
}
