// Containers against the real server: the lifecycle by id and by name, pages and the iterator,
// the setup log, WaitRunning's typed failure, and a delete that removes at once.

package rexec_test

import (
	"errors"
	"testing"

	rexec "github.com/rexec/rexec/sdk/go"
)

func TestContainerLifecycleByIDAndName(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	client := admin()
	name := uniqueName("go-life")
	created, err := client.Containers.Create(ctx, boxRequest(name))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { removeBox(t, client, created.ID) })
	if created.Status != rexec.StatusCreating || created.Name != name || created.Image != rexec.ImageCustom {
		t.Fatalf("create answered %+v, want a creating %s from the custom image", created, name)
	}
	if created.CustomImage != fixture.image || created.Resources.CPUMillicores != 250 || created.Resources.MemoryMB != 64 {
		t.Errorf("create kept %q and %+v, want %q and the requested resources", created.CustomImage, created.Resources, fixture.image)
	}
	running, err := client.Containers.WaitRunning(ctx, name)
	if err != nil {
		t.Fatalf("wait running: %v", err)
	}
	if running.ID != created.ID || running.Status != rexec.StatusRunning || running.HostID == "" || running.StartedAt == nil {
		t.Fatalf("wait running answered %+v", running)
	}
	byName, err := client.Containers.Get(ctx, name)
	if err != nil || byName.ID != created.ID {
		t.Fatalf("get by name: %+v, %v", byName, err)
	}
	stopped, err := client.Containers.Stop(ctx, created.ID)
	if err != nil || stopped.Status != rexec.StatusStopped || stopped.StatusReason != "user" || stopped.StoppedAt == nil {
		t.Fatalf("stop: %+v, %v", stopped, err)
	}
	if again, err := client.Containers.Stop(ctx, name); err != nil || again.Status != rexec.StatusStopped {
		t.Fatalf("stop is idempotent: %+v, %v", again, err)
	}
	restarted, err := client.Containers.Start(ctx, name)
	if err != nil || restarted.Status != rexec.StatusRunning {
		t.Fatalf("start: %+v, %v", restarted, err)
	}
	logs, err := client.Containers.Logs(ctx, name)
	if err != nil {
		t.Fatalf("logs: %v", err)
	}
	if logs.SetupLog != "" || logs.Truncated {
		t.Errorf("a barebone container has an empty setup log, got %+v", logs)
	}
	deleted, err := client.Containers.Delete(ctx, name)
	if err != nil || deleted.Deleting {
		t.Fatalf("delete: %+v, %v", deleted, err)
	}
	if _, err := client.Containers.Get(ctx, created.ID); !errors.Is(err, rexec.ErrNotFound) {
		t.Fatalf("get after delete: %v, want not_found", err)
	}
}

func TestContainerPagesAndIterator(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	client := admin()
	prefix := uniqueName("go-page")
	want := map[string]bool{}
	for i := 0; i < 3; i++ {
		created, err := client.Containers.Create(ctx, boxRequest(prefix+"-"+string(rune('a'+i))))
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		want[created.ID] = true
		id := created.ID
		t.Cleanup(func() { removeBox(t, client, id) })
	}
	first, err := client.Containers.List(ctx, rexec.ListOptions{Limit: 2})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(first.Containers) != 2 || first.NextCursor == "" || first.Count < 3 || first.Limit < first.Count {
		t.Fatalf("a page of 2 from at least 3: got %d, cursor %q, count %d, limit %d",
			len(first.Containers), first.NextCursor, first.Count, first.Limit)
	}
	second, err := client.Containers.List(ctx, rexec.ListOptions{Limit: 2, Cursor: first.NextCursor})
	if err != nil || len(second.Containers) == 0 || second.Containers[0].ID == first.Containers[0].ID {
		t.Fatalf("the next page continues after the first: %+v, %v", second, err)
	}

	seen := map[string]int{}
	pages := map[*rexec.ContainerList]bool{}
	it := client.Containers.All(ctx, rexec.ListOptions{Limit: 1})
	for it.Next() {
		seen[it.Container().ID]++
		pages[it.Page()] = true
	}
	if err := it.Err(); err != nil {
		t.Fatalf("iterator: %v", err)
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("the iterator yielded %s %d times, want once", id, seen[id])
		}
	}
	if len(pages) < 3 {
		t.Errorf("pages of one: the iterator fetched %d pages, want at least 3", len(pages))
	}
	running, err := client.Containers.List(ctx, rexec.ListOptions{Status: rexec.StatusRunning, Limit: 100})
	if err != nil {
		t.Fatalf("list running: %v", err)
	}
	for _, container := range running.Containers {
		if container.Status != rexec.StatusRunning {
			t.Errorf("the status filter let %s through, which is %s", container.Name, container.Status)
		}
	}
}

func TestWaitRunningReturnsTheStatusReasonOfAFailure(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	client := admin()
	created, err := client.Containers.Create(ctx, rexec.CreateContainerRequest{
		Image: rexec.ImageCustom, CustomImage: "localhost/rexec-test/does-not-exist:1", Resources: small,
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { removeBox(t, client, created.ID) })
	_, err = client.Containers.WaitRunning(ctx, created.ID)
	var failed *rexec.ContainerFailedError
	if !errors.As(err, &failed) || !errors.Is(err, rexec.ErrContainerFailed) {
		t.Fatalf("wait running: %v, want a ContainerFailedError", err)
	}
	if failed.Status != rexec.StatusError || failed.StatusReason != "image_pull_failed" || failed.Container.ID != created.ID {
		t.Fatalf("the failure is %+v, want error / image_pull_failed", failed)
	}
	logs, err := client.Containers.Logs(ctx, created.ID)
	if err != nil || logs.StatusDetail == "" {
		t.Fatalf("the engine's message is in the status detail: %+v, %v", logs, err)
	}
	if _, err := client.Containers.Logs(ctx, "no-such-box"); !errors.Is(err, rexec.ErrNotFound) {
		t.Errorf("the logs of no container: %v", err)
	}
}
