// Package rexec is the Go client for Rexec: isolated Linux containers on a fleet of your own hosts
// behind one REST endpoint (API v1, https://…/api/v1).
//
// Create a client with [NewClient] and reach the API through its services: [Client.Containers],
// [Client.Me], [Client.Tokens], [Client.Images], [Client.Roles], [Client.Tiers] and, for
// administrators, [Client.Users], [Client.Hosts] and [Client.JoinTokens]. Interactive shells are
// opened with [Client.Terminal]. Every call takes a [context.Context] first; every failure the
// server reports is an [*Error] matching the sentinels ([ErrNotFound], [ErrRateLimited], …) with
// [errors.Is].
//
// The wire contract lives beside the server in packages/protocol (PROTOCOL.md and the zod schemas);
// the types here are checked against the server's OpenAPI document by this module's tests.
package rexec
