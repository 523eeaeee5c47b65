// Container stats against the real server and agent: a running box gets a sample with its limits,
// a missing container is ErrNotFound, and a stopped box has no current figures.

package rexec_test

import (
	"errors"
	"testing"
	"time"

	rexec "github.com/rexec/rexec/sdk/go"
)

func TestContainerStats(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	client := admin()
	created, err := client.Containers.Create(ctx, boxRequest(uniqueName("go-stats")))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { removeBox(t, client, created.ID) })
	if _, err := client.Containers.WaitRunning(ctx, created.ID); err != nil {
		t.Fatalf("wait running: %v", err)
	}
	// The agent samples every 10 s by default and learns of a new container from its next listing.
	var stats *rexec.ContainerStats
	deadline := time.Now().Add(90 * time.Second)
	for {
		stats, err = client.Containers.Stats(ctx, created.ID)
		if err != nil {
			t.Fatalf("stats: %v", err)
		}
		if stats.At != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if stats.At == nil || stats.MemoryBytes == nil || *stats.MemoryBytes <= 0 || stats.PIDs == nil || *stats.PIDs < 1 {
		t.Fatalf("no sample of a running box: %+v", stats)
	}
	if stats.CPUPercent == nil || stats.NetRxBytes == nil || stats.NetTxBytes == nil {
		t.Errorf("cpu or network missing: %+v", stats)
	}
	if stats.MemoryLimitBytes != 64*1024*1024 || stats.DiskLimitMB != created.Resources.DiskMB {
		t.Errorf("limits %d bytes / %d MB, want the box's 64 MB / %d MB", stats.MemoryLimitBytes, stats.DiskLimitMB, created.Resources.DiskMB)
	}
	if _, err := client.Containers.Stats(ctx, "no-such-box"); !errors.Is(err, rexec.ErrNotFound) {
		t.Errorf("the stats of no container: %v", err)
	}
	if _, err := client.Containers.Stop(ctx, created.ID); err != nil {
		t.Fatalf("stop: %v", err)
	}
	for {
		stats, err = client.Containers.Stats(ctx, created.ID)
		if err != nil {
			t.Fatalf("stats after stop: %v", err)
		}
		if stats.At == nil || time.Now().After(deadline.Add(time.Minute)) {
			break
		}
		time.Sleep(time.Second)
	}
	if stats.At != nil || stats.CPUPercent != nil || stats.MemoryBytes != nil || stats.MemoryLimitBytes != 64*1024*1024 {
		t.Errorf("a stopped box still shows figures: %+v", stats)
	}
}
