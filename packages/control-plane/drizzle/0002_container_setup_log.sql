ALTER TABLE "containers" ADD COLUMN "setup_log" text;--> statement-breakpoint
ALTER TABLE "containers" ADD COLUMN "setup_log_truncated" boolean DEFAULT false NOT NULL;