// Bodies of the caller's own routes (packages/protocol/src/api: users.ts, tiers.ts, tokens.ts,
// catalog.ts): GET /me, the tier, token, image and role catalogs. Admin bodies are in
// types_admin.go. Checked against the server's OpenAPI document by drift_test.go.

package rexec

import "time"

// MeUser is the caller as GET /me shows them.
type MeUser struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	Tier    string `json:"tier"`
	IsAdmin bool   `json:"is_admin"`
}

// Usage is what the caller's containers hold now.
type Usage struct {
	Containers    int `json:"containers"`
	CPUMillicores int `json:"cpu_millicores"`
	MemoryMB      int `json:"memory_mb"`
	DiskMB        int `json:"disk_mb"`
	// DiskUsedMB is measured across the containers (DiskMB is what they reserve).
	DiskUsedMB *int `json:"disk_used_mb,omitempty"`
}

// Me is the answer of GET /me: the caller, their tier's limits and their usage.
type Me struct {
	User  MeUser `json:"user"`
	Tier  Tier   `json:"tier"`
	Usage Usage  `json:"usage"`
}

// TierRateLimits are requests per minute per user, by category.
type TierRateLimits struct {
	CreatePerMinute     int `json:"create_per_minute"`
	OperationsPerMinute int `json:"operations_per_minute"`
	ListPerMinute       int `json:"list_per_minute"`
}

// Tier holds per-container maxima, the container count and the session length of a tier.
type Tier struct {
	Name          string `json:"name"`
	CPUMillicores int    `json:"cpu_millicores"`
	MemoryMB      int    `json:"memory_mb"`
	DiskMB        int    `json:"disk_mb"`
	NetworkMbps   int    `json:"network_mbps"`
	MaxContainers int    `json:"max_containers"`
	// SessionHours is nil for unlimited sessions.
	SessionHours *int           `json:"session_hours"`
	RateLimits   TierRateLimits `json:"rate_limits"`
	// IdleStopMinutes is how long a running container may go without activity (terminal input,
	// exec, file transfer, CPU use) before it is stopped with reason "idle"; nil never stops one.
	IdleStopMinutes *int `json:"idle_stop_minutes,omitempty"`
	// DefaultResources is what a create gets for each resource it leaves out (each at most the
	// maximum above); nil only from a server older than tier defaults.
	DefaultResources *Resources `json:"default_resources,omitempty"`
	// NetworkEgress is where the tier's containers' traffic may go: EgressInternet (public
	// addresses only) or EgressNone; empty only from a server older than egress control.
	NetworkEgress NetworkEgress `json:"network_egress,omitempty"`
}

// TokenScope is what a token may do: ScopeRead for GETs, ScopeWrite for changes (and terminals,
// exec), ScopeAdmin for admin routes (administrators' tokens only).
type TokenScope string

// Token scopes.
const (
	ScopeRead  TokenScope = "read"
	ScopeWrite TokenScope = "write"
	ScopeAdmin TokenScope = "admin"
)

// Token is an API token without its secret. ExpiresAt is nil for a token that never expires.
type Token struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	TokenPrefix string       `json:"token_prefix"`
	Scopes      []TokenScope `json:"scopes"`
	CreatedAt   time.Time    `json:"created_at"`
	ExpiresAt   *time.Time   `json:"expires_at,omitempty"`
	LastUsedAt  *time.Time   `json:"last_used_at,omitempty"`
}

// TokenCreated is a new API token; Token is the secret, shown only here.
type TokenCreated struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Token       string       `json:"token"`
	TokenPrefix string       `json:"token_prefix"`
	Scopes      []TokenScope `json:"scopes"`
	CreatedAt   time.Time    `json:"created_at"`
	ExpiresAt   *time.Time   `json:"expires_at,omitempty"`
}

// CreateTokenRequest is the body of POST /tokens. Empty Scopes and zero ExpiresInDays mean the
// calling token's own; the server refuses more than the calling token holds.
type CreateTokenRequest struct {
	Name          string       `json:"name"`
	Scopes        []TokenScope `json:"scopes,omitempty"`
	ExpiresInDays int          `json:"expires_in_days,omitempty"`
}

// Image is a catalog image; Reference is empty for ImageCustom, whose reference the caller gives.
type Image struct {
	Name           string `json:"name"`
	DisplayName    string `json:"display_name"`
	Reference      string `json:"reference,omitempty"`
	PackageManager string `json:"package_manager"`
	Shell          string `json:"shell"`
}

// Role is a setup role a container may be given.
type Role struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Description string `json:"description"`
}

type tokenList struct {
	Tokens []Token `json:"tokens"`
}

type imageList struct {
	Images []Image `json:"images"`
}

type roleList struct {
	Roles []Role `json:"roles"`
}

type tierList struct {
	Tiers []Tier `json:"tiers"`
}
