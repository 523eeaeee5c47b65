// Admin: each tier's limits and rate limits as a form; saving sends only the fields that changed
// (PATCH /tiers/:name) and shows the server's refusal on the field it names.
import type { Tier } from '@rexec/sdk';
import { useEffect, useState } from 'preact/hooks';
import { useSession } from '../session/context.js';
import { fieldErrors } from '../parts/describe-error.js';
import { usePoll } from '../parts/use-poll.js';
import { ErrorLine } from '../parts/widgets.js';

const LIMITS = [
  ['cpu_millicores', 'CPU (millicores)'],
  ['memory_mb', 'Memory (MB)'],
  ['disk_mb', 'Disk (MB)'],
  ['network_mbps', 'Network (Mbit/s)'],
  ['max_containers', 'Containers'],
  ['session_hours', 'Session hours (empty: unlimited)'],
] as const;
const RATES = [
  ['create_per_minute', 'Creates / min'],
  ['operations_per_minute', 'Operations / min'],
  ['list_per_minute', 'Lists / min'],
] as const;

type Draft = Record<string, string>;

function draftOf(tier: Tier): Draft {
  const draft: Draft = {};
  for (const [key] of LIMITS) draft[key] = tier[key] === null ? '' : String(tier[key]);
  for (const [key] of RATES) draft[`rate_limits.${key}`] = String(tier.rate_limits[key]);
  return draft;
}

function TierForm(props: { tier: Tier; saved: () => Promise<void> }) {
  const { client } = useSession();
  const original = draftOf(props.tier);
  const [draft, setDraft] = useState(original);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [note, setNote] = useState<string | null>(null);
  // A refreshed tier (this save, or another admin's) resets the fields but keeps the note: the
  // form is keyed by name only, so "Saved." outlives the refresh the save triggers.
  const shown = JSON.stringify(props.tier);
  useEffect(() => setDraft(draftOf(props.tier)), [shown]);

  const save = async (event: Event) => {
    event.preventDefault();
    const patch: Record<string, unknown> = {};
    const rates: Record<string, number> = {};
    for (const [key, value] of Object.entries(draft)) {
      if (value === original[key]) continue;
      const number = value.trim() === '' ? null : Number(value);
      if (key.startsWith('rate_limits.')) rates[key.slice('rate_limits.'.length)] = Number(value);
      else patch[key] = number;
    }
    if (Object.keys(rates).length > 0) patch['rate_limits'] = rates;
    if (Object.keys(patch).length === 0) {
      setNote('Nothing changed.');
      return;
    }
    try {
      await client.tiers.update(props.tier.name, patch);
      setErrors({});
      setNote('Saved.');
      await props.saved();
    } catch (caught) {
      setNote(null);
      setErrors(fieldErrors(caught));
    }
  };

  const field = (key: string, label: string) => (
    <label key={key} class="stacked">
      {label}
      <input
        type="number"
        min={key === 'max_containers' ? 0 : 1}
        value={draft[key]}
        aria-invalid={errors[key] !== undefined}
        onInput={(event) => setDraft({ ...draft, [key]: event.currentTarget.value })}
      />
      {errors[key] !== undefined && <span class="field-error">{errors[key]}</span>}
    </label>
  );

  return (
    <form
      class="card tier"
      onSubmit={(event) => void save(event)}
      aria-label={`Tier ${props.tier.name}`}
    >
      <h2>{props.tier.name}</h2>
      <div class="grid">{LIMITS.map(([key, label]) => field(key, label))}</div>
      <div class="grid">{RATES.map(([key, label]) => field(`rate_limits.${key}`, label))}</div>
      <ErrorLine error={errors['']} />
      <button type="submit" class="primary">
        Save {props.tier.name}
      </button>{' '}
      <span aria-live="polite">{note}</span>
    </form>
  );
}

export function TiersPage() {
  const { client } = useSession();
  const { data, error, refresh } = usePoll(() => client.tiers.list(), null);
  return (
    <section>
      <h1>Tiers</h1>
      <ErrorLine error={error} />
      <div class="cards">
        {(data ?? []).map((tier) => (
          <TierForm key={tier.name} tier={tier} saved={refresh} />
        ))}
      </div>
    </section>
  );
}
