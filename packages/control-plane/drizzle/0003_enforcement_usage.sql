ALTER TABLE "containers" ADD COLUMN "disk_used_mb" integer;--> statement-breakpoint
ALTER TABLE "containers" ADD COLUMN "usage_measured_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "enforcement" jsonb;--> statement-breakpoint
ALTER TABLE "containers" ADD CONSTRAINT "containers_disk_used_non_negative" CHECK ("containers"."disk_used_mb" >= 0);