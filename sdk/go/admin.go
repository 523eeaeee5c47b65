// Admin routes: users, hosts (cordon, uncordon, drain, revoke, delete) and join tokens. A caller who is not
// an administrator gets the server's 403 forbidden; nothing is checked here.

package rexec

import (
	"context"
	"net/http"
	"net/url"
)

// UsersService is Client.Users (admin).
type UsersService struct{ api *api }

// Create makes a user; the answer's Token is their first API token, shown only here.
func (s *UsersService) Create(ctx context.Context, req CreateUserRequest) (*UserCreated, error) {
	var created UserCreated
	if _, err := s.api.do(ctx, http.MethodPost, "/users", nil, req, &created); err != nil {
		return nil, err
	}
	return &created, nil
}

// List returns every user.
func (s *UsersService) List(ctx context.Context) ([]User, error) {
	var list userList
	if _, err := s.api.do(ctx, http.MethodGet, "/users", nil, nil, &list); err != nil {
		return nil, err
	}
	return list.Users, nil
}

// Update changes a user (their tier, whether they are disabled).
func (s *UsersService) Update(ctx context.Context, id string, patch UserPatch) (*User, error) {
	path, err := segment(id, "user id")
	if err != nil {
		return nil, err
	}
	var user User
	if _, err := s.api.do(ctx, http.MethodPatch, "/users/"+path, nil, patch, &user); err != nil {
		return nil, err
	}
	return &user, nil
}

// Delete removes a user, their tokens and their containers (removed from their hosts).
func (s *UsersService) Delete(ctx context.Context, id string) error {
	path, err := segment(id, "user id")
	if err != nil {
		return err
	}
	_, err = s.api.do(ctx, http.MethodDelete, "/users/"+path, nil, nil, nil)
	return err
}

// HostsService is Client.Hosts (admin).
type HostsService struct{ api *api }

// List returns every host of the fleet.
func (s *HostsService) List(ctx context.Context) ([]Host, error) {
	var list hostList
	if _, err := s.api.do(ctx, http.MethodGet, "/hosts", nil, nil, &list); err != nil {
		return nil, err
	}
	return list.Hosts, nil
}

// Get returns one host.
func (s *HostsService) Get(ctx context.Context, id string) (*Host, error) {
	return s.call(ctx, http.MethodGet, id, "")
}

// Cordon stops new containers being placed on the host; running ones stay.
func (s *HostsService) Cordon(ctx context.Context, id string) (*Host, error) {
	return s.call(ctx, http.MethodPost, id, "/cordon")
}

// Uncordon makes the host eligible for new containers again.
func (s *HostsService) Uncordon(ctx context.Context, id string) (*Host, error) {
	return s.call(ctx, http.MethodPost, id, "/uncordon")
}

// Drain cordons the host for good: it is being emptied.
func (s *HostsService) Drain(ctx context.Context, id string) (*Host, error) {
	return s.call(ctx, http.MethodPost, id, "/drain")
}

// Revoke revokes the host's credential and disconnects its agent; it must join again.
func (s *HostsService) Revoke(ctx context.Context, id string) (*Host, error) {
	return s.call(ctx, http.MethodPost, id, "/revoke")
}

// DeleteHostOptions says how Hosts.Delete treats a host that is online and its containers.
type DeleteHostOptions struct {
	// Force removes the host even while its agent is online (else the server answers 409
	// invalid_state with status "online").
	Force bool
	// DeleteContainers deletes the host's containers (on the host too, when it is connected)
	// instead of keeping them as error with reason host_removed.
	DeleteContainers bool
}

// Delete removes the host from the fleet and revokes its credential (its agent is disconnected).
// Its containers become error/host_removed, or are deleted with DeleteContainers; either way they
// no longer count against their owners' limits.
func (s *HostsService) Delete(ctx context.Context, id string, opts DeleteHostOptions) error {
	path, err := segment(id, "host id")
	if err != nil {
		return err
	}
	query := url.Values{}
	if opts.Force {
		query.Set("force", "true")
	}
	if opts.DeleteContainers {
		query.Set("delete_containers", "true")
	}
	_, err = s.api.do(ctx, http.MethodDelete, "/hosts/"+path, query, nil, nil)
	return err
}

// Approve lets a pending host (REXEC_HOST_APPROVAL=manual) take containers; any other host is
// returned as it is.
func (s *HostsService) Approve(ctx context.Context, id string) (*Host, error) {
	return s.call(ctx, http.MethodPost, id, "/approve")
}

// Trust lets the scheduler place containers on a host whose agent reports no network isolation
// (trusted true), or takes that back (false). Idempotent.
func (s *HostsService) Trust(ctx context.Context, id string, trusted bool) (*Host, error) {
	return s.callWith(ctx, http.MethodPost, id, "/trust", hostTrust{Trusted: &trusted})
}

func (s *HostsService) call(ctx context.Context, method, id, action string) (*Host, error) {
	return s.callWith(ctx, method, id, action, nil)
}

func (s *HostsService) callWith(ctx context.Context, method, id, action string, body interface{}) (*Host, error) {
	path, err := segment(id, "host id")
	if err != nil {
		return nil, err
	}
	var host Host
	if _, err := s.api.do(ctx, method, "/hosts/"+path+action, nil, body, &host); err != nil {
		return nil, err
	}
	return &host, nil
}

// JoinTokensService is Client.JoinTokens (admin).
type JoinTokensService struct{ api *api }

// Create mints a token for a new agent's REXEC_JOIN_TOKEN.
func (s *JoinTokensService) Create(ctx context.Context, req CreateJoinTokenRequest) (*JoinTokenCreated, error) {
	var created JoinTokenCreated
	if _, err := s.api.do(ctx, http.MethodPost, "/hosts/join-tokens", nil, req, &created); err != nil {
		return nil, err
	}
	return &created, nil
}

// List returns every join token, newest first, without their secrets.
func (s *JoinTokensService) List(ctx context.Context) ([]JoinToken, error) {
	var list joinTokenList
	if _, err := s.api.do(ctx, http.MethodGet, "/hosts/join-tokens", nil, nil, &list); err != nil {
		return nil, err
	}
	return list.JoinTokens, nil
}

// Revoke deletes a join token so it can no longer enroll a host; hosts it enrolled stay.
func (s *JoinTokensService) Revoke(ctx context.Context, id string) error {
	path, err := segment(id, "join token id")
	if err != nil {
		return err
	}
	_, err = s.api.do(ctx, http.MethodDelete, "/hosts/join-tokens/"+path, nil, nil, nil)
	return err
}
