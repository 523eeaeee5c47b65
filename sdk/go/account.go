// The caller's own routes: GET /me, API tokens, and the image, role and tier catalogs (tier edits
// are for admins, beside the listing). Users, hosts and join tokens are in admin.go.

package rexec

import (
	"context"
	"net/http"
)

// MeService is Client.Me.
type MeService struct{ api *api }

// Get returns the caller, their tier's limits and their current usage.
func (s *MeService) Get(ctx context.Context) (*Me, error) {
	var me Me
	if _, err := s.api.do(ctx, http.MethodGet, "/me", nil, nil, &me); err != nil {
		return nil, err
	}
	return &me, nil
}

// TokensService is Client.Tokens.
type TokensService struct{ api *api }

// Create mints an API token with the calling token's own scopes and expiry; its Token (the
// secret) is shown only in this answer.
func (s *TokensService) Create(ctx context.Context, name string) (*TokenCreated, error) {
	return s.CreateWith(ctx, CreateTokenRequest{Name: name})
}

// CreateWith mints an API token with the given scopes and lifetime, within the calling token's.
func (s *TokensService) CreateWith(ctx context.Context, req CreateTokenRequest) (*TokenCreated, error) {
	var created TokenCreated
	if _, err := s.api.do(ctx, http.MethodPost, "/tokens", nil, req, &created); err != nil {
		return nil, err
	}
	return &created, nil
}

// List returns the caller's tokens, without secrets.
func (s *TokensService) List(ctx context.Context) ([]Token, error) {
	var list tokenList
	if _, err := s.api.do(ctx, http.MethodGet, "/tokens", nil, nil, &list); err != nil {
		return nil, err
	}
	return list.Tokens, nil
}

// Revoke revokes a token at once: the next request with it is a 401, and terminals opened with it
// end within seconds.
func (s *TokensService) Revoke(ctx context.Context, id string) error {
	path, err := segment(id, "token id")
	if err != nil {
		return err
	}
	_, err = s.api.do(ctx, http.MethodDelete, "/tokens/"+path, nil, nil, nil)
	return err
}

// ImagesService is Client.Images.
type ImagesService struct{ api *api }

// List returns the images a container may be created from.
func (s *ImagesService) List(ctx context.Context) ([]Image, error) {
	var list imageList
	if _, err := s.api.do(ctx, http.MethodGet, "/images", nil, nil, &list); err != nil {
		return nil, err
	}
	return list.Images, nil
}

// RolesService is Client.Roles.
type RolesService struct{ api *api }

// List returns the setup roles a container may be given.
func (s *RolesService) List(ctx context.Context) ([]Role, error) {
	var list roleList
	if _, err := s.api.do(ctx, http.MethodGet, "/roles", nil, nil, &list); err != nil {
		return nil, err
	}
	return list.Roles, nil
}

// TiersService is Client.Tiers.
type TiersService struct{ api *api }

// List returns every tier and its limits.
func (s *TiersService) List(ctx context.Context) ([]Tier, error) {
	var list tierList
	if _, err := s.api.do(ctx, http.MethodGet, "/tiers", nil, nil, &list); err != nil {
		return nil, err
	}
	return list.Tiers, nil
}

// Update changes a tier's limits for every user on it (admin).
func (s *TiersService) Update(ctx context.Context, name string, patch TierPatch) (*Tier, error) {
	path, err := segment(name, "tier name")
	if err != nil {
		return nil, err
	}
	var tier Tier
	if _, err := s.api.do(ctx, http.MethodPatch, "/tiers/"+path, nil, patch, &tier); err != nil {
		return nil, err
	}
	return &tier, nil
}
