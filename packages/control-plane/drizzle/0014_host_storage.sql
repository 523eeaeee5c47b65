-- Free space in each host's engine storage (issue 16): the agent reports it in heartbeats with
-- whether it is under its REXEC_MIN_FREE_DISK_MB; the scheduler's snapshot skips hosts running low.
ALTER TABLE "hosts" ADD COLUMN "storage_free_mb" integer;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "storage_low" boolean DEFAULT false NOT NULL;
