// Admin bodies (packages/protocol/src/api: users.ts, hosts.ts, tiers.ts): users, hosts, join tokens
// and tier edits. Checked against the server's OpenAPI document by drift_test.go.

package rexec

import (
	"encoding/json"
	"time"
)

// User is an account as an administrator sees it.
type User struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	Tier    string `json:"tier"`
	IsAdmin bool   `json:"is_admin"`
	// Disabled users' tokens are refused (CodeUserDisabled).
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateUserRequest is the body of POST /users.
type CreateUserRequest struct {
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	Tier    string `json:"tier,omitempty"`
	IsAdmin bool   `json:"is_admin,omitempty"`
}

// UserCreated is a new user and their first API token, shown only here.
type UserCreated struct {
	User  User   `json:"user"`
	Token string `json:"token"`
}

// UserPatch is the body of PATCH /users/:id. Disabled, when set, disables (true) or enables the
// user.
type UserPatch struct {
	Tier     string `json:"tier,omitempty"`
	Disabled *bool  `json:"disabled,omitempty"`
}

type userList struct {
	Users []User `json:"users"`
}

// HostStatus is a host's connectivity.
type HostStatus string

// Host statuses.
const (
	HostOnline      HostStatus = "online"
	HostUnreachable HostStatus = "unreachable"
)

// HostScheduling says whether new containers may be placed on a host.
type HostScheduling string

// Host scheduling states.
const (
	SchedulingActive   HostScheduling = "active"
	SchedulingCordoned HostScheduling = "cordoned"
	SchedulingDraining HostScheduling = "draining"
	// SchedulingUnhealthy is set by the control plane while the host's agent reports a failed
	// required check (see Host.Health); no containers are placed there.
	SchedulingUnhealthy HostScheduling = "unhealthy"
	// SchedulingPending is a host that joined under REXEC_HOST_APPROVAL=manual; no containers are
	// placed there until HostsService.Approve.
	SchedulingPending HostScheduling = "pending"
)

// HostResources are host-level amounts (capacity, reservations).
type HostResources struct {
	CPUMillicores int `json:"cpu_millicores"`
	MemoryMB      int `json:"memory_mb"`
	DiskMB        int `json:"disk_mb"`
}

// HostRuntime is the container engine a host's agent drives.
type HostRuntime struct {
	Kind    string `json:"kind"`
	Version string `json:"version"`
}

// HostEnforcement is how a host enforces the limits the scheduler cannot.
type HostEnforcement struct {
	// Disk is "storage_opt" (a hard quota), "monitor" (measured and stopped) or "none".
	Disk             string `json:"disk"`
	DiskCheckSeconds int    `json:"disk_check_seconds,omitempty"`
	NetworkShaping   bool   `json:"network_shaping"`
	NetworkIsolation bool   `json:"network_isolation"`
	Detail           string `json:"detail,omitempty"`
	// UserNamespaces says whether containers run in a user namespace; UserNamespacesDetail gives
	// the id range used or what the operator must configure to turn them on.
	UserNamespaces       bool   `json:"user_namespaces,omitempty"`
	UserNamespacesDetail string `json:"user_namespaces_detail,omitempty"`
}

// HostStorage is the free space in a host's engine storage. Low (under the agent's
// REXEC_MIN_FREE_DISK_MB) keeps new containers off the host.
type HostStorage struct {
	FreeMB int  `json:"free_mb"`
	Low    bool `json:"low"`
}

// HostHealthCheck is one check the host's agent made of its host (what `rexec-agent doctor`
// prints). A failed Required check makes the host SchedulingUnhealthy; Message names the fix.
type HostHealthCheck struct {
	Check    string `json:"check"`
	OK       bool   `json:"ok"`
	Required bool   `json:"required"`
	Message  string `json:"message"`
}

// Host is a fleet member.
type Host struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Status     HostStatus     `json:"status"`
	Scheduling HostScheduling `json:"scheduling"`
	Capacity   HostResources  `json:"capacity"`
	// Schedulable is what placements may reserve: CPU is Capacity times the control plane's CPU
	// overcommit, memory and disk are Capacity. Nil only from an older server.
	Schedulable *HostResources   `json:"schedulable,omitempty"`
	Reserved    HostResources    `json:"reserved"`
	Runtime     *HostRuntime     `json:"runtime,omitempty"`
	Enforcement *HostEnforcement `json:"enforcement,omitempty"`
	// NetworkIsolation is false when the agent could not install its host guard; the scheduler
	// then places nothing on the host unless Trusted.
	NetworkIsolation bool `json:"network_isolation,omitempty"`
	// Trusted is an admin's acceptance of the host without network isolation (Hosts.Trust).
	Trusted bool `json:"trusted,omitempty"`
	// UserNamespaces is true when uid 0 in the host's containers is an unprivileged uid outside.
	UserNamespaces bool `json:"user_namespaces,omitempty"`
	// Storage is nil until the host's agent reports its free space.
	Storage      *HostStorage      `json:"storage,omitempty"`
	AgentVersion string            `json:"agent_version,omitempty"`
	Health       []HostHealthCheck `json:"health,omitempty"`
	LastSeenAt   *time.Time        `json:"last_seen_at,omitempty"`
	// Quarantined lists labelled containers the host runs that the database does not know
	// (after a restore, say): stopped and kept with their volumes for an admin.
	Quarantined []QuarantinedContainer `json:"quarantined,omitempty"`
	CreatedAt   time.Time              `json:"created_at"`
}

// QuarantinedContainer is an unknown labelled container found on a host at its last HELLO.
type QuarantinedContainer struct {
	ContainerID string    `json:"container_id"`
	State       string    `json:"state"`
	FoundAt     time.Time `json:"found_at"`
}

// hostTrust is the body of POST /hosts/:id/trust; the server reads a missing field as true, so
// false must be sent, never left out.
type hostTrust struct {
	Trusted *bool `json:"trusted,omitempty"`
}

type hostList struct {
	Hosts []Host `json:"hosts"`
}

// CreateJoinTokenRequest is the body of POST /hosts/join-tokens.
type CreateJoinTokenRequest struct {
	// ExpiresInSeconds is 60 s to 30 days; zero means the server's default (one hour).
	ExpiresInSeconds int `json:"expires_in_seconds,omitempty"`
}

// JoinTokenCreated is a token for a new agent's REXEC_JOIN_TOKEN, shown only here.
type JoinTokenCreated struct {
	// ID names the token for JoinTokensService.Revoke; empty only from an older server.
	ID        string    `json:"id,omitempty"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// JoinToken is a join token as listed: never its secret.
type JoinToken struct {
	ID string `json:"id"`
	// Status is "active", "used" (it enrolled a host) or "expired".
	Status    string     `json:"status"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at,omitempty"`
	CreatedBy string     `json:"created_by,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

type joinTokenList struct {
	JoinTokens []JoinToken `json:"join_tokens"`
}

// TierPatch is the body of PATCH /tiers/:name: only the fields set are changed.
type TierPatch struct {
	CPUMillicores *int `json:"cpu_millicores,omitempty"`
	MemoryMB      *int `json:"memory_mb,omitempty"`
	DiskMB        *int `json:"disk_mb,omitempty"`
	NetworkMbps   *int `json:"network_mbps,omitempty"`
	MaxContainers *int `json:"max_containers,omitempty"`
	// SessionHours is SessionLimit(n) or UnlimitedSessions().
	SessionHours *SessionHours   `json:"session_hours,omitempty"`
	RateLimits   *RateLimitPatch `json:"rate_limits,omitempty"`
	// DefaultResources changes the defaults of the resources set; each must stay within its maximum.
	DefaultResources *ResourcesRequest `json:"default_resources,omitempty"`
	// NetworkEgress sets where the tier's new containers' traffic may go.
	NetworkEgress NetworkEgress `json:"network_egress,omitempty"`
	// IdleStopMinutes is IdleStopAfter(n) or NoIdleStop().
	IdleStopMinutes *IdleStop `json:"idle_stop_minutes,omitempty"`
}

// RateLimitPatch changes a tier's rate limits; only the fields set are changed.
type RateLimitPatch struct {
	CreatePerMinute     *int `json:"create_per_minute,omitempty"`
	OperationsPerMinute *int `json:"operations_per_minute,omitempty"`
	ListPerMinute       *int `json:"list_per_minute,omitempty"`
}

// SessionHours is a tier's session length in a TierPatch: a number of hours, or unlimited (sent
// as null, which is why it is not a plain *int).
type SessionHours struct {
	hours     int
	unlimited bool
}

// SessionLimit is a session length of hours.
func SessionLimit(hours int) *SessionHours { return &SessionHours{hours: hours} }

// UnlimitedSessions lifts the session length.
func UnlimitedSessions() *SessionHours { return &SessionHours{unlimited: true} }

// MarshalJSON sends the hours, or null for unlimited.
func (s SessionHours) MarshalJSON() ([]byte, error) {
	if s.unlimited {
		return []byte("null"), nil
	}
	return json.Marshal(s.hours)
}

// IdleStop is a tier's idle stop in a TierPatch: a number of minutes, or never (sent as null).
type IdleStop struct {
	minutes int
	never   bool
}

// IdleStopAfter stops running containers after minutes without activity.
func IdleStopAfter(minutes int) *IdleStop { return &IdleStop{minutes: minutes} }

// NoIdleStop never stops a container for being idle.
func NoIdleStop() *IdleStop { return &IdleStop{never: true} }

// MarshalJSON sends the minutes, or null for never.
func (s IdleStop) MarshalJSON() ([]byte, error) {
	if s.never {
		return []byte("null"), nil
	}
	return json.Marshal(s.minutes)
}

// Int returns a pointer to n, for the optional fields of TierPatch and RateLimitPatch.
func Int(n int) *int { return &n }
