// Quickstart: create a container, wait until it runs, open a terminal, run `uname -a`, print what
// it said, and delete the container. Reads REXEC_URL and REXEC_TOKEN as the CLI does, and
// REXEC_IMAGE: a catalog image (debian:bookworm, …) or any other reference, sent as a custom image.
//
//	REXEC_URL=http://127.0.0.1:8080 REXEC_TOKEN=$(cat .rexec/admin-token) \
//	REXEC_IMAGE=debian:bookworm go run ./examples/quickstart
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	rexec "github.com/rexec/rexec/sdk/go"
)

func main() {
	log.SetFlags(0)
	url, token, image := os.Getenv("REXEC_URL"), os.Getenv("REXEC_TOKEN"), os.Getenv("REXEC_IMAGE")
	if url == "" || token == "" {
		log.Fatal("set REXEC_URL and REXEC_TOKEN (and REXEC_IMAGE, default debian:bookworm)")
	}
	if image == "" {
		image = rexec.ImageDebianBookworm
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	client := rexec.NewClient(url, token, rexec.WithRetry(rexec.DefaultRetryPolicy))

	output, err := run(ctx, client, image)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(output)
}

func run(ctx context.Context, client *rexec.Client, image string) (string, error) {
	request := rexec.CreateContainerRequest{
		Image:     image,
		Resources: &rexec.ResourcesRequest{CPUMillicores: 500, MemoryMB: 256, DiskMB: 1024},
	}
	catalog, err := isCatalogImage(ctx, client, image)
	if err != nil {
		return "", fmt.Errorf("images: %w", err)
	}
	if !catalog {
		request.Image, request.CustomImage = rexec.ImageCustom, image
	}
	created, err := client.Containers.Create(ctx, request)
	if err != nil {
		return "", fmt.Errorf("create: %w", err)
	}
	log.Printf("created %s (%s)", created.Name, created.ID)
	defer func() {
		// A fresh context: the container goes even when ctx has run out.
		cleanup, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := client.Containers.Delete(cleanup, created.ID); err != nil {
			log.Printf("delete %s: %v", created.Name, err)
			return
		}
		log.Printf("deleted %s", created.Name)
	}()

	if _, err := client.Containers.WaitRunning(ctx, created.ID); err != nil {
		return "", fmt.Errorf("wait running: %w", err)
	}
	log.Printf("%s is running", created.Name)

	term, err := client.Terminal.Connect(ctx, created.ID, rexec.TerminalOptions{Cols: 200, Rows: 50})
	if err != nil {
		return "", fmt.Errorf("terminal: %w", err)
	}
	defer term.Close()
	// The output goes between two markers the shell prints, so the typed command's echo and the
	// prompts stay out of it.
	if _, err := io.WriteString(term, "echo BEGIN-$((1+1)); uname -a; echo END-$((1+1)); exit\n"); err != nil {
		return "", fmt.Errorf("terminal write: %w", err)
	}
	var screen bytes.Buffer
	if _, err := io.Copy(&screen, term); err != nil {
		return "", fmt.Errorf("terminal read: %w", err)
	}
	if code, ok := <-term.Exit(); !ok || code != 0 {
		return "", fmt.Errorf("the shell ended with %d (exited: %v)", code, ok)
	}
	text := strings.ReplaceAll(screen.String(), "\r", "")
	begin, end := strings.Index(text, "BEGIN-2\n"), strings.Index(text, "END-2")
	if begin < 0 || end < begin {
		return "", fmt.Errorf("unexpected terminal output: %q", text)
	}
	return strings.TrimSpace(text[begin+len("BEGIN-2\n") : end]), nil
}

func isCatalogImage(ctx context.Context, client *rexec.Client, image string) (bool, error) {
	images, err := client.Images.List(ctx)
	if err != nil {
		return false, err
	}
	for _, known := range images {
		if known.Name == image && image != rexec.ImageCustom {
			return true, nil
		}
	}
	return false, nil
}
