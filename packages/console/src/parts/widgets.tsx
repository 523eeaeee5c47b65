// Small shared pieces: an error line, a usage bar, a secret shown once with a copy button, and an
// action button that shows its own pending state and error.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { describeError } from './describe-error.js';

export function ErrorLine({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="error" role="alert">
      {typeof error === 'string' ? error : describeError(error)}
    </p>
  );
}

export function Bar(props: { label: string; used: number; total: number; unit: string }) {
  const share = props.total > 0 ? Math.min(1, props.used / props.total) : 1;
  const level = share >= 0.9 ? 'high' : share >= 0.7 ? 'mid' : 'low';
  return (
    <div class="bar-row">
      <span class="bar-label">{props.label}</span>
      <meter
        class={`bar ${level}`}
        min={0}
        max={Math.max(props.total, 1)}
        value={Math.min(props.used, props.total)}
        aria-label={`${props.label}: ${props.used} of ${props.total} ${props.unit}`}
      />
      <span class="bar-figure">
        {props.used} / {props.total} {props.unit}
      </span>
    </div>
  );
}

export function Secret(props: { label: string; value: string; children?: ComponentChildren }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied('Copied.');
    } catch {
      // No clipboard permission (plain http on a LAN address): the text stays selectable.
      setCopied('Copy is not allowed here; select the text instead.');
    }
  };
  return (
    <div class="secret" role="status">
      <p>
        <strong>{props.label}</strong> It is shown only now.
      </p>
      <pre class="secret-value" tabIndex={0}>
        {props.value}
      </pre>
      <button type="button" onClick={() => void copy()}>
        Copy
      </button>{' '}
      <span aria-live="polite">{copied}</span>
      {props.children}
    </div>
  );
}

/** A button running an async action; shows "…" while it runs and the error after. */
export function ActionButton(props: {
  label: string;
  run: () => Promise<unknown>;
  confirm?: string;
  danger?: boolean;
  onError: (error: unknown) => void;
}) {
  const [busy, setBusy] = useState(false);
  const click = async () => {
    if (props.confirm !== undefined && !window.confirm(props.confirm)) return;
    setBusy(true);
    try {
      await props.run();
      props.onError(undefined);
    } catch (error) {
      props.onError(error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      class={props.danger === true ? 'danger' : undefined}
      disabled={busy}
      onClick={() => void click()}
    >
      {busy ? `${props.label}…` : props.label}
    </button>
  );
}

export function formatMb(mb: number): string {
  return mb >= 1024 && mb % 1024 === 0 ? `${mb / 1024} GB` : `${mb} MB`;
}

export function formatCpu(millicores: number): string {
  return `${(millicores / 1000).toFixed(millicores % 1000 === 0 ? 0 : 2)} CPU`;
}

export function relativeTime(iso: string | undefined, now = Date.now()): string {
  if (iso === undefined) return '—';
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const abs = Math.abs(seconds);
  // Clocks of browser and server differ by a little; a few seconds either way is "now".
  if (abs < 5) return 'just now';
  const [value, unit] =
    abs < 90
      ? [abs, 's']
      : abs < 5400
        ? [Math.round(abs / 60), 'min']
        : abs < 172800
          ? [Math.round(abs / 3600), 'h']
          : [Math.round(abs / 86400), 'd'];
  return seconds >= 0 ? `in ${value} ${unit}` : `${value} ${unit} ago`;
}
