// Admin routes against the real server: users, tier edits, join tokens, and the spare host the
// harness joined for these tests: given a container while the others are cordoned, then cordoned,
// uncordoned, drained and revoked, after which that container's delete waits for it (202).

package rexec_test

import (
	"context"
	"errors"
	goruntime "runtime"
	"testing"
	"time"

	rexec "github.com/rexec/rexec/sdk/go"
)

func TestUsersAreCreatedListedAndMovedBetweenTiers(t *testing.T) {
	ctx := testContext(t)
	client := admin()
	name := uniqueName("go-user")
	created, err := client.Users.Create(ctx, rexec.CreateUserRequest{Name: name, Email: name + "@example.com", Tier: "pro"})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.User.Name != name || created.User.Tier != "pro" || created.User.IsAdmin || created.Token == "" {
		t.Fatalf("create: %+v", created)
	}
	users, err := client.Users.List(ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	found := false
	for _, user := range users {
		found = found || (user.ID == created.User.ID && user.Email == name+"@example.com")
	}
	if !found {
		t.Fatalf("the list has the new user: %+v", users)
	}
	moved, err := client.Users.Update(ctx, created.User.ID, rexec.UserPatch{Tier: "enterprise"})
	if err != nil || moved.Tier != "enterprise" {
		t.Fatalf("update: %+v, %v", moved, err)
	}
	me, err := rexec.NewClient(fixture.url, created.Token).Me.Get(ctx)
	if err != nil || me.Tier.Name != "enterprise" || me.User.ID != created.User.ID {
		t.Fatalf("the user's own view: %+v, %v", me, err)
	}
	_, err = client.Users.Update(ctx, created.User.ID, rexec.UserPatch{Tier: "no-such-tier"})
	if !errors.Is(err, rexec.ErrInvalidRequest) {
		t.Errorf("an unknown tier: %v, want invalid_request", err)
	}
}

func TestUsersAreDisabledScopedAndDeleted(t *testing.T) {
	ctx := testContext(t)
	client := admin()
	created, err := client.Users.Create(ctx, rexec.CreateUserRequest{Name: uniqueName("go-cut")})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	own := rexec.NewClient(fixture.url, created.Token)
	reader, err := own.Tokens.CreateWith(ctx, rexec.CreateTokenRequest{Name: "viewer", Scopes: []rexec.TokenScope{rexec.ScopeRead}, ExpiresInDays: 7})
	if err != nil || len(reader.Scopes) != 1 || reader.Scopes[0] != rexec.ScopeRead || reader.ExpiresAt == nil {
		t.Fatalf("a read-only token: %+v, %v", reader, err)
	}
	viewer := rexec.NewClient(fixture.url, reader.Token)
	if _, err := viewer.Tokens.Create(ctx, "more"); !errors.Is(err, rexec.ErrInsufficientScope) {
		t.Errorf("a read token minting: %v, want insufficient_scope", err)
	}
	if _, err := own.Tokens.CreateWith(ctx, rexec.CreateTokenRequest{Name: "x", Scopes: []rexec.TokenScope{rexec.ScopeAdmin}}); !errors.Is(err, rexec.ErrForbidden) {
		t.Errorf("a non-admin asking for admin scope: %v, want forbidden", err)
	}
	yes := true
	disabled, err := client.Users.Update(ctx, created.User.ID, rexec.UserPatch{Disabled: &yes})
	if err != nil || !disabled.Disabled {
		t.Fatalf("disable: %+v, %v", disabled, err)
	}
	if _, err := own.Me.Get(ctx); !errors.Is(err, rexec.ErrUserDisabled) {
		t.Errorf("a disabled user's token: %v, want user_disabled", err)
	}
	if err := client.Users.Delete(ctx, created.User.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := client.Users.Delete(ctx, created.User.ID); !errors.Is(err, rexec.ErrNotFound) {
		t.Errorf("deleting again: %v, want not_found", err)
	}
}

func TestTierUpdatesSetAndLiftTheSessionLength(t *testing.T) {
	ctx := testContext(t)
	client := admin()
	limited, err := client.Tiers.Update(ctx, "pro", rexec.TierPatch{SessionHours: rexec.SessionLimit(300), NetworkMbps: rexec.Int(900)})
	if err != nil || limited.SessionHours == nil || *limited.SessionHours != 300 || limited.NetworkMbps != 900 {
		t.Fatalf("limit: %+v, %v", limited, err)
	}
	lifted, err := client.Tiers.Update(ctx, "pro", rexec.TierPatch{SessionHours: rexec.UnlimitedSessions(), NetworkMbps: rexec.Int(100)})
	if err != nil || lifted.SessionHours != nil {
		t.Fatalf("unlimited: %+v, %v", lifted, err)
	}
	if _, err := client.Tiers.Update(ctx, "pro", rexec.TierPatch{}); !errors.Is(err, rexec.ErrInvalidRequest) {
		t.Errorf("an empty patch: %v, want invalid_request", err)
	}
	if _, err := client.Tiers.Update(ctx, "no-such-tier", rexec.TierPatch{MaxContainers: rexec.Int(1)}); !errors.Is(err, rexec.ErrNotFound) {
		t.Errorf("an unknown tier: %v, want not_found", err)
	}
}

func TestJoinTokensAreMinted(t *testing.T) {
	ctx := testContext(t)
	before := time.Now()
	short, err := admin().JoinTokens.Create(ctx, rexec.CreateJoinTokenRequest{ExpiresInSeconds: 600})
	if err != nil || short.Token == "" {
		t.Fatalf("create: %+v, %v", short, err)
	}
	if short.ExpiresAt.Before(before.Add(9*time.Minute)) || short.ExpiresAt.After(before.Add(11*time.Minute)) {
		t.Errorf("a ten-minute token expires at %v (asked at %v)", short.ExpiresAt, before)
	}
	standard, err := admin().JoinTokens.Create(ctx, rexec.CreateJoinTokenRequest{})
	if err != nil || !standard.ExpiresAt.After(short.ExpiresAt) || standard.Token == short.Token {
		t.Fatalf("the default lifetime (an hour): %+v, %v", standard, err)
	}
	if _, err := admin().JoinTokens.Create(ctx, rexec.CreateJoinTokenRequest{ExpiresInSeconds: 5}); !errors.Is(err, rexec.ErrInvalidRequest) {
		t.Errorf("five seconds: %v, want invalid_request", err)
	}
}

func TestHostsAreListedCordonedDrainedAndRevoked(t *testing.T) {
	ctx := testContext(t)
	client := admin()
	hosts := client.Hosts
	list, err := hosts.List(ctx)
	if err != nil || len(list) < 2 {
		t.Fatalf("list: %+v, %v", list, err)
	}
	spare, err := hosts.Get(ctx, fixture.spareHost)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if spare.Status != rexec.HostOnline || spare.Scheduling != rexec.SchedulingActive || spare.Capacity.CPUMillicores != claimedCPU() ||
		spare.Runtime == nil || spare.Runtime.Kind == "" || spare.LastSeenAt == nil || spare.AgentVersion == "" {
		t.Fatalf("the spare host: %+v", spare)
	}

	// With every other host cordoned (no parallel test runs yet), a new container lands on the spare.
	for _, host := range list {
		if host.ID == spare.ID {
			continue
		}
		id := host.ID
		if cordoned, err := hosts.Cordon(ctx, id); err != nil || cordoned.Scheduling != rexec.SchedulingCordoned {
			t.Fatalf("cordon %s: %+v, %v", host.Name, cordoned, err)
		}
		t.Cleanup(func() {
			if _, err := hosts.Uncordon(context.Background(), id); err != nil {
				t.Errorf("uncordon %s: %v", id, err)
			}
		})
	}
	stranded := runningBox(t, client, "go-stranded")
	if stranded.HostID != spare.ID {
		t.Fatalf("the only schedulable host is the spare, yet the container went to %s", stranded.HostID)
	}

	steps := []struct {
		do   func(context.Context, string) (*rexec.Host, error)
		want rexec.HostScheduling
	}{
		{hosts.Cordon, rexec.SchedulingCordoned},
		{hosts.Uncordon, rexec.SchedulingActive},
		{hosts.Drain, rexec.SchedulingDraining},
	}
	for _, step := range steps {
		host, err := step.do(ctx, spare.ID)
		if err != nil || host.Scheduling != step.want {
			t.Fatalf("want %s: %+v, %v", step.want, host, err)
		}
	}
	if !spare.NetworkIsolation || spare.Trusted {
		t.Fatalf("a root agent's host reports isolation and needs no trust: %+v", spare)
	}
	for _, trusted := range []bool{true, true, false} {
		host, err := hosts.Trust(ctx, spare.ID, trusted)
		if err != nil || host.Trusted != trusted {
			t.Fatalf("trust %v: %+v, %v", trusted, host, err)
		}
	}
	if host, err := hosts.Get(ctx, spare.ID); err != nil || host.Reserved.MemoryMB < 64 {
		t.Fatalf("the spare reserves the container's memory: %+v, %v", host, err)
	}
	revoked, err := hosts.Revoke(ctx, spare.ID)
	if err != nil || revoked.ID != spare.ID {
		t.Fatalf("revoke: %+v, %v", revoked, err)
	}
	for {
		host, err := hosts.Get(ctx, spare.ID)
		if err != nil {
			t.Fatalf("get after revoke: %v", err)
		}
		if host.Status == rexec.HostUnreachable {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("a revoked host's agent is disconnected: it never became unreachable")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Its host is gone: the delete is accepted and waits for the host (202).
	deleted, err := client.Containers.Delete(ctx, stranded.ID)
	if err != nil || !deleted.Deleting || deleted.ID != stranded.ID {
		t.Fatalf("deleting a container whose host is unreachable: %+v, %v", deleted, err)
	}
	if pending, err := client.Containers.Get(ctx, stranded.ID); err != nil || pending.Status != rexec.StatusDeleting {
		t.Fatalf("it shows as deleting: %+v, %v", pending, err)
	}
	if _, err := hosts.Get(ctx, "hst_"+"00000000000000000000000000000000"); !errors.Is(err, rexec.ErrNotFound) {
		t.Errorf("an unknown host: %v, want not_found", err)
	}
}

// claimedCPU is the spare agent's claimed 16000 millicores as the control plane records it: capped
// to what the agent measured on this machine (its CPUs), as claims above the measurement are.
func claimedCPU() int {
	if measured := goruntime.NumCPU() * 1000; measured < 16000 {
		return measured
	}
	return 16000
}
