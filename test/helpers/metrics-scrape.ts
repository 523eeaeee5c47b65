// Scrapes a Rexec process's metrics listener over HTTP and parses the text exposition with an
// independent Prometheus parser (prom2javascript; parse-prometheus-text-format drops the labels of
// histograms), so a suite asserts on families and samples, never on strings.
// Also reads every rexec_* name the deploy/ dashboard and alert rules use, for the drift check.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { getMetricsFromStream, type PromMetrics } from 'prom2javascript';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from './child-process.js';

interface Sample {
  labels: Record<string, string>;
  value?: number;
  count?: number;
}

export class Scrape {
  constructor(readonly metrics: PromMetrics) {}

  family(name: string): PromMetrics[string] | undefined {
    return this.metrics[name];
  }

  /** Samples of `name` whose labels include `labels`. */
  samples(name: string, labels: Record<string, string> = {}): Sample[] {
    const data = (this.family(name)?.data ?? []) as Sample[];
    return data.filter((sample) =>
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    );
  }

  /** A counter's or gauge's value (summed over matching samples); undefined with none. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const found = this.samples(name, labels);
    if (found.length === 0) return undefined;
    return found.reduce((sum, sample) => sum + (sample.value ?? NaN), 0);
  }

  /** A histogram's observation count over matching samples (0 with none). */
  count(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name, labels).reduce((sum, sample) => sum + (sample.count ?? NaN), 0);
  }

  /** The rexec_* samples as text lines, for a failure message. */
  dump(): string {
    return Object.entries(this.metrics)
      .filter(([name]) => name.startsWith('rexec_'))
      .flatMap(([name, family]) =>
        (family.data as Sample[]).map(
          (sample) =>
            `${name}${JSON.stringify(sample.labels)} ${sample.value ?? `count=${sample.count}`}`,
        ),
      )
      .join('\n');
  }

  /** Every family name (histograms by their base name). */
  names(): Set<string> {
    return new Set(Object.keys(this.metrics));
  }
}

export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain')) throw new Error(`GET ${url}: content-type ${type}`);
  return parseExposition(await response.text());
}

/** Parses one text exposition. */
export async function parseExposition(text: string): Promise<Scrape> {
  return new Scrape(await getMetricsFromStream(Readable.from([parseable(text)])));
}

/**
 * The exposition without samples whose value is NaN or -Inf: valid Prometheus text (prom-client
 * prints `Nan` for an event-loop figure scraped before its first measurement, and Prometheus reads
 * it), but prom2javascript refuses the whole scrape over one. No rexec_* assertion reads them.
 */
function parseable(text: string): string {
  return text
    .split('\n')
    .filter((line) => line.startsWith('#') || !/\s(nan|-inf)(\s+-?\d+)?\s*$/i.test(line))
    .join('\n');
}

/** Polls until `probe` holds on a fresh scrape (metrics move as the process works). */
export async function scrapeUntil(
  url: string,
  what: string,
  probe: (scrape: Scrape) => boolean,
  timeoutMs = 120_000,
): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await scrape(url);
    if (probe(got)) return got;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}; last scrape's rexec_* samples:\n${got.dump()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A rexec_* name in a PromQL expression, with a histogram's _bucket/_sum/_count suffix cut. */
export function metricNamesIn(expression: string): string[] {
  return [...expression.matchAll(/\brexec_[a-z0-9_]+/g)].map(([name]) =>
    name.replace(/_(bucket|sum|count)$/, ''),
  );
}

/** Every expression of the Grafana dashboard's panels (targets[].expr) and template queries. */
export async function dashboardExpressions(): Promise<string[]> {
  const path = join(REPO_ROOT, 'deploy/grafana/rexec-dashboard.json');
  const dashboard = JSON.parse(await readFile(path, 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
  };
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
}

/** Every alert rule of deploy/prometheus/rexec-alerts.yml, by name with its expression. */
export async function alertRules(): Promise<{ alert: string; expr: string }[]> {
  const path = join(REPO_ROOT, 'deploy/prometheus/rexec-alerts.yml');
  const rules = parseYaml(await readFile(path, 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  return rules.groups.flatMap((group) => group.rules);
}
