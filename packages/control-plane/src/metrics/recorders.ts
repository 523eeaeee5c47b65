// What the control plane's parts report to metrics, as small interfaces: the HTTP hook, the create
// path, the webhook dispatcher and the command round trips each take one, so none of them imports
// prom-client. control-plane-metrics.ts implements them; NO_METRICS is for processes without.

/** How a placement attempt ended: `refused` is any other typed answer (quota, name taken). */
export type PlacementOutcome = 'placed' | 'no_capacity' | 'refused' | 'error';

/** How one webhook delivery attempt was settled. */
export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed';

/** How a command sent to an agent ended. */
export type CommandOutcome = 'ok' | 'failed' | 'timeout' | 'aborted';

export interface RequestRecorder {
  /** `route` is the matched route pattern (`/containers/:id`), never the raw URL. */
  request(route: string, method: string, status: number, seconds: number): void;
}

export interface PlacementRecorder {
  placement(outcome: PlacementOutcome, seconds: number): void;
}

export interface DeliveryRecorder {
  delivery(outcome: DeliveryOutcome): void;
}

export interface CommandRecorder {
  command(action: string, outcome: CommandOutcome, seconds: number): void;
}

export const NO_PLACEMENT_METRICS: PlacementRecorder = { placement: () => undefined };
export const NO_DELIVERY_METRICS: DeliveryRecorder = { delivery: () => undefined };
