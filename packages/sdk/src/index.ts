// Public entry of @rexec/sdk, safe for browsers: global fetch and WebSocket plus @rexec/protocol,
// no Node built-ins and no `ws`. Node programs that open terminals import "@rexec/sdk/node".
export { RexecClient, type RexecClientOptions } from './client.js';
export {
  RexecError,
  isRexecError,
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
  type RexecErrorCode,
  type RexecErrorInit,
} from './errors.js';
export type { Containers, CreateOptions, DeleteOutcome, ListOptions } from './api/containers.js';
export type { WaitOptions } from './api/wait-running.js';
export type { Files, ReadRange, WriteData, WriteOptions } from './api/files.js';
export type { Tokens } from './api/account.js';
export type { Webhooks, WebhookCreateOptions } from './api/webhooks.js';
export { verifyWebhook, type VerifyWebhookOptions, type WebhookHeaders } from './verify-webhook.js';
export type {
  Audit,
  AuditListOptions,
  EventFilterOptions,
  EventListOptions,
  EventStreamOptions,
  Events,
} from './api/events.js';
export type { Hosts, HostAction, Tiers, Users } from './api/admin.js';
export type { FetchLike } from './http/http-client.js';
export type { RetryOption } from './http/retry.js';
export type { ExecStreamOptions } from './exec/background.js';
export type { ExecExit, ExecStream, ExecStreamReady } from './exec/exec-stream.js';
export type { TerminalConnectOptions } from './terminal/connect.js';
export type { Terminal, TerminalEnd, TerminalReadyInfo } from './terminal/terminal-session.js';
export type {
  TerminalTransport,
  TransportEvents,
  TransportFactory,
  TransportRequest,
} from './terminal/transport.js';
export {
  standardSocketTransport,
  type StandardWebSocket,
  type StandardWebSocketConstructor,
} from './terminal/browser-socket.js';
export type {
  Container,
  ContainerCreateRequest,
  ExecSignal,
  ExecStatus,
  ContainerStatus,
  Host,
  Image,
  Me,
  Role,
  Tier,
  Token,
  TokenCreated,
  User,
  UserCreated,
  Webhook,
  WebhookCreated,
  WebhookDelivery,
} from '@rexec/protocol';
