// Create a container: image (or a custom OCI reference), role, name and resources, with the tier's
// maxima shown beside each field and checked before sending. What the server refuses is shown on
// the field it concerns (invalid_request issues, resource_limit_exceeded, name_taken) or above the
// form (no_capacity, container_limit_reached).
import { isRexecError, type ContainerCreateRequest, type Image, type Role } from '@rexec/sdk';
import { useEffect, useState } from 'preact/hooks';
import { fieldErrors } from '../parts/describe-error.js';
import { formatMb } from '../parts/widgets.js';
import { navigate } from '../routes.js';
import { useSession } from '../session/context.js';

type ResourceKey = 'cpu_millicores' | 'memory_mb' | 'disk_mb' | 'network_mbps';

/** Suggested sizes: small enough for a laptop host; the tier's maximum when that is lower. */
const SUGGESTED: Record<ResourceKey, number> = {
  cpu_millicores: 1000,
  memory_mb: 1024,
  disk_mb: 5120,
  network_mbps: 10,
};
const RESOURCES: { key: ResourceKey; label: string; unit: string }[] = [
  { key: 'cpu_millicores', label: 'CPU', unit: 'millicores' },
  { key: 'memory_mb', label: 'Memory', unit: 'MB' },
  { key: 'disk_mb', label: 'Disk', unit: 'MB' },
  { key: 'network_mbps', label: 'Network', unit: 'Mbit/s' },
];

function FieldError({ errors, field }: { errors: Record<string, string>; field: string }) {
  const message = errors[field];
  return message === undefined ? null : (
    <span class="field-error" id={`${field}-error`} role="alert">
      {message}
    </span>
  );
}

export function CreatePage() {
  const { client, me, refreshMe, lost } = useSession();
  const tier = me.tier;
  const [catalog, setCatalog] = useState<{ images: Image[]; roles: Role[] } | null>(null);
  const [name, setName] = useState('');
  const [image, setImage] = useState<Image['name']>('debian:bookworm');
  const [customImage, setCustomImage] = useState('');
  const [role, setRole] = useState<Role['name']>('barebone');
  const [resources, setResources] = useState<Record<ResourceKey, string>>(() => {
    const entries = RESOURCES.map(({ key }) => [key, String(Math.min(SUGGESTED[key], tier[key]))]);
    return Object.fromEntries(entries) as Record<ResourceKey, string>;
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    Promise.all([client.images(), client.roles()])
      .then(([images, roles]) => setCatalog({ images, roles }))
      .catch((error: unknown) => setErrors(fieldErrors(error)));
  }, [client]);

  const check = (): Record<string, string> => {
    const found: Record<string, string> = {};
    if (name !== '' && !/^[a-z0-9-]{1,63}$/.test(name)) {
      found['name'] = 'Use 1–63 lowercase letters, digits and dashes, or leave it empty.';
    }
    if (image === 'custom' && customImage.trim() === '') {
      found['custom_image'] = 'Give the image reference, such as registry.example/team/app:1.2.';
    }
    for (const { key, label } of RESOURCES) {
      const raw = resources[key].trim();
      if (raw === '') continue;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 1) {
        found[`resources.${key}`] = `${label} must be a whole number of at least 1.`;
      } else if (value > tier[key]) {
        found[`resources.${key}`] =
          `${label} can be at most ${tier[key]} on the ${tier.name} tier.`;
      }
    }
    return found;
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const found = check();
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const chosen = Object.fromEntries(
      RESOURCES.filter(({ key }) => resources[key].trim() !== '').map(({ key }) => [
        key,
        Number(resources[key]),
      ]),
    );
    const body: ContainerCreateRequest = {
      image,
      role,
      ...(name === '' ? {} : { name }),
      ...(image === 'custom' ? { custom_image: customImage.trim() } : {}),
      ...(Object.keys(chosen).length === 0 ? {} : { resources: chosen }),
    };
    setBusy(true);
    try {
      await client.containers.create(body);
      await refreshMe();
      navigate({ page: 'containers' });
    } catch (error) {
      if (isRexecError(error) && error.code === 'unauthorized') lost(error);
      else setErrors(fieldErrors(error));
    } finally {
      setBusy(false);
    }
  };

  const describedBy = (field: string) =>
    errors[field] === undefined ? undefined : `${field}-error`;

  return (
    <section>
      <h1>New container</h1>
      <p class="muted">
        On the <strong>{tier.name}</strong> tier: up to {tier.max_containers} containers, each at
        most {tier.cpu_millicores} millicores, {formatMb(tier.memory_mb)} memory,{' '}
        {formatMb(tier.disk_mb)} disk; sessions{' '}
        {tier.session_hours === null ? 'without limit' : `of ${tier.session_hours} h`}.
      </p>
      {errors[''] !== undefined && (
        <p class="error form-error" role="alert">
          {errors['']}
        </p>
      )}
      <form class="create" onSubmit={(event) => void submit(event)} noValidate>
        <label for="name">Name</label>
        <div>
          <input
            id="name"
            value={name}
            placeholder="generated when empty"
            aria-invalid={errors['name'] !== undefined}
            aria-describedby={describedBy('name')}
            onInput={(event) => setName(event.currentTarget.value)}
          />
          <FieldError errors={errors} field="name" />
        </div>
        <label for="image">Image</label>
        <div>
          <select
            id="image"
            value={image}
            onChange={(event) => setImage(event.currentTarget.value as Image['name'])}
          >
            {(catalog?.images ?? []).map((each) => (
              <option key={each.name} value={each.name}>
                {each.display_name}
              </option>
            ))}
          </select>
          <FieldError errors={errors} field="image" />
        </div>
        {image === 'custom' && (
          <>
            <label for="custom_image">Image reference</label>
            <div>
              <input
                id="custom_image"
                value={customImage}
                placeholder="registry.example/team/app:1.2"
                aria-invalid={errors['custom_image'] !== undefined}
                aria-describedby={describedBy('custom_image')}
                onInput={(event) => setCustomImage(event.currentTarget.value)}
              />
              <FieldError errors={errors} field="custom_image" />
            </div>
          </>
        )}
        <label for="role">Role</label>
        <div>
          <select
            id="role"
            value={role}
            onChange={(event) => setRole(event.currentTarget.value as Role['name'])}
          >
            {(catalog?.roles ?? []).map((each) => (
              <option key={each.name} value={each.name}>
                {each.display_name} — {each.description}
              </option>
            ))}
          </select>
          <FieldError errors={errors} field="role" />
        </div>
        {RESOURCES.map(({ key, label, unit }) => (
          <>
            <label for={key}>
              {label} <span class="muted">({unit})</span>
            </label>
            <div>
              <input
                id={key}
                type="number"
                inputMode="numeric"
                min={1}
                max={tier[key]}
                value={resources[key]}
                aria-invalid={errors[`resources.${key}`] !== undefined}
                aria-describedby={describedBy(`resources.${key}`) ?? `${key}-max`}
                onInput={(event) =>
                  setResources({ ...resources, [key]: event.currentTarget.value })
                }
              />
              <span class="hint" id={`${key}-max`}>
                max {tier[key]}
              </span>
              <FieldError errors={errors} field={`resources.${key}`} />
            </div>
          </>
        ))}
        <div />
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </section>
  );
}
