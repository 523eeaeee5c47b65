// Container bodies of REST API v1 (packages/protocol/src/api/containers.ts): the container, its
// list page, the create request, the setup log and the 202 answer of a delete that must wait.
// Field names and optionality are checked against the server's OpenAPI document by drift_test.go.

package rexec

import (
	"encoding/base64"
	"time"
)

// ContainerStatus is a container's lifecycle state.
type ContainerStatus string

// Container statuses.
const (
	StatusCreating ContainerStatus = "creating"
	StatusRunning  ContainerStatus = "running"
	StatusStopped  ContainerStatus = "stopped"
	StatusError    ContainerStatus = "error"
	// StatusDeleting: its DELETE waits for its unreachable host to reconnect.
	StatusDeleting ContainerStatus = "deleting"
)

// Catalog image names for CreateContainerRequest.Image; ImageCustom needs CustomImage.
const (
	ImageUbuntu2404     = "ubuntu:24.04"
	ImageDebianBookworm = "debian:bookworm"
	ImageAlpine         = "alpine:latest"
	ImageArchLinux      = "archlinux:latest"
	ImageCustom         = "custom"
)

// Setup roles for CreateContainerRequest.Role (the server's default is RoleBarebone).
const (
	RoleNode     = "node"
	RolePython   = "python"
	RoleGo       = "go"
	RoleRust     = "rust"
	RoleDevops   = "devops"
	RoleBarebone = "barebone"
)

// Resources are a container's reserved resources.
type Resources struct {
	CPUMillicores int `json:"cpu_millicores"`
	MemoryMB      int `json:"memory_mb"`
	DiskMB        int `json:"disk_mb"`
	NetworkMbps   int `json:"network_mbps"`
}

// ResourcesRequest asks for resources; a zero field takes the tier's default.
type ResourcesRequest struct {
	CPUMillicores int `json:"cpu_millicores,omitempty"`
	MemoryMB      int `json:"memory_mb,omitempty"`
	DiskMB        int `json:"disk_mb,omitempty"`
	NetworkMbps   int `json:"network_mbps,omitempty"`
}

// ContainerUsage is what the host's agent last measured.
type ContainerUsage struct {
	DiskMB     int       `json:"disk_mb"`
	MeasuredAt time.Time `json:"measured_at"`
}

// NetworkEgress says where a container's traffic may go.
type NetworkEgress string

const (
	// EgressInternet reaches public addresses only: the host, its LAN and other non-public ranges
	// are refused by the host's agent.
	EgressInternet NetworkEgress = "internet"
	// EgressNone reaches nothing at all, DNS included.
	EgressNone NetworkEgress = "none"
)

// ContainerNetwork is a container's network settings, as asked in a create and shown on it.
type ContainerNetwork struct {
	Egress NetworkEgress `json:"egress"`
}

// Container is one of the caller's containers.
type Container struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Image       string          `json:"image"`
	CustomImage string          `json:"custom_image,omitempty"`
	Role        string          `json:"role"`
	Status      ContainerStatus `json:"status"`
	// StatusReason says why it is "error" or why it stopped: user, session_expired, host_lost,
	// image_pull_failed, image_too_large, insufficient_disk, role_setup_failed, disk_quota_exceeded,
	// disk_unmeasurable, …
	StatusReason string    `json:"status_reason,omitempty"`
	HostID       string    `json:"host_id,omitempty"`
	Resources    Resources `json:"resources"`
	// Network is nil only from a server older than egress control.
	Network          *ContainerNetwork `json:"network,omitempty"`
	CreatedAt        time.Time         `json:"created_at"`
	StartedAt        *time.Time        `json:"started_at,omitempty"`
	StoppedAt        *time.Time        `json:"stopped_at,omitempty"`
	SessionExpiresAt *time.Time        `json:"session_expires_at,omitempty"`
	// IdleStopAt is when the container will be stopped as "idle" unless something happens in it
	// first; nil when its tier never stops idle containers or it is not running.
	IdleStopAt *time.Time      `json:"idle_stop_at,omitempty"`
	Usage      *ContainerUsage `json:"usage,omitempty"`
}

// ContainerList is one page of GET /containers. Count is how many containers the caller has in
// all (every page, every status) and Limit the tier's maximum; NextCursor is empty on the last page.
type ContainerList struct {
	Containers []Container `json:"containers"`
	Count      int         `json:"count"`
	Limit      int         `json:"limit"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// CreateContainerRequest is the body of POST /containers.
type CreateContainerRequest struct {
	// Name is 1–63 of a-z, 0-9 and -, unique per user; generated when empty.
	Name string `json:"name,omitempty"`
	// Image is a catalog name (ImageDebianBookworm, …) or ImageCustom.
	Image string `json:"image"`
	// CustomImage is an OCI reference; required with ImageCustom, refused otherwise.
	CustomImage string            `json:"custom_image,omitempty"`
	Role        string            `json:"role,omitempty"`
	Resources   *ResourcesRequest `json:"resources,omitempty"`
	// Network narrows the tier's egress (EgressNone); asking EgressInternet on a tier whose egress
	// is none is refused with resource_limit_exceeded.
	Network *ContainerNetwork `json:"network,omitempty"`
}

// ContainerLogs is the tail of a container's role setup output and the detail of its last status
// change (why a pull failed, how much disk it used when stopped for its quota).
type ContainerLogs struct {
	SetupLog     string `json:"setup_log"`
	Truncated    bool   `json:"truncated"`
	StatusDetail string `json:"status_detail,omitempty"`
}

// ContainerStats is a container's latest resource sample. Nil figures were not measured (the
// container is not running, or was not sampled since it last started); the limits are always set.
type ContainerStats struct {
	// CPUPercent is in percent of one core over the agent's last sampling interval.
	CPUPercent       *float64 `json:"cpu_percent"`
	MemoryBytes      *int64   `json:"memory_bytes"`
	MemoryLimitBytes int64    `json:"memory_limit_bytes"`
	// DiskUsedMB is the disk monitor's last measurement, kept while the container is stopped.
	DiskUsedMB  *int       `json:"disk_used_mb"`
	DiskLimitMB int        `json:"disk_limit_mb"`
	NetRxBytes  *int64     `json:"net_rx_bytes"`
	NetTxBytes  *int64     `json:"net_tx_bytes"`
	PIDs        *int       `json:"pids"`
	At          *time.Time `json:"at"`
}

// DeleteResult says how a DELETE ended: removed at once (204), or Deleting (202) because the
// container's host is unreachable and finishes the removal when it reconnects.
type DeleteResult struct {
	ID       string `json:"id"`
	Deleting bool   `json:"-"`
}

// containerDeleting is the 202 body of DELETE /containers/:id.
type containerDeleting struct {
	ID     string `json:"id"`
	Status string `json:"status"` // always "deleting"
}

// ExecRequest is the body of POST /containers/{id}/exec: exactly one of Argv (run directly) and
// Command (run by /bin/sh -c).
type ExecRequest struct {
	Argv    []string          `json:"argv,omitempty"`
	Command string            `json:"command,omitempty"`
	Cwd     string            `json:"cwd,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	// User is a name, a uid or user:group.
	User string `json:"user,omitempty"`
	// Stdin is the command's whole input (at most 1 MiB); empty when nil.
	Stdin *string `json:"stdin,omitempty"`
	// TimeoutSeconds is 1 to 3600; the server's 60 when 0.
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
	// Background starts a background exec: use ExecBackground, which sets it (Exec expects a
	// finished result).
	Background bool `json:"background,omitempty"`
}

// ExecResult is a finished exec. ExitCode is nil when the timeout killed the command (TimedOut).
// Output that is not valid UTF-8 comes in the *Base64 fields instead (the text is then empty): use
// StdoutBytes and StderrBytes to read either.
type ExecResult struct {
	ExitCode        *int   `json:"exit_code"`
	Stdout          string `json:"stdout"`
	Stderr          string `json:"stderr"`
	StdoutBase64    string `json:"stdout_base64,omitempty"`
	StderrBase64    string `json:"stderr_base64,omitempty"`
	StdoutTruncated bool   `json:"stdout_truncated"`
	StderrTruncated bool   `json:"stderr_truncated"`
	TimedOut        bool   `json:"timed_out"`
	DurationMS      int    `json:"duration_ms"`
}

// StdoutBytes is the captured stdout, whichever way it travelled.
func (r *ExecResult) StdoutBytes() ([]byte, error) { return outputBytes(r.Stdout, r.StdoutBase64) }

// StderrBytes is the captured stderr, whichever way it travelled.
func (r *ExecResult) StderrBytes() ([]byte, error) { return outputBytes(r.Stderr, r.StderrBase64) }

func outputBytes(text, encoded string) ([]byte, error) {
	if encoded == "" {
		return []byte(text), nil
	}
	return base64.StdEncoding.DecodeString(encoded)
}
